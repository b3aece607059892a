package io.imageclassifier.fetch;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * Collects a response body of at most {@code limit} bytes. With {@code refuseOverflow}, a body
 * announced (Content-Length) or streaming past the limit cancels the download and fails with
 * {@link TooLarge}, so an oversized object is never read to its end; without it (error bodies,
 * kept for their message) the rest is dropped.
 */
final class LimitedBody implements HttpResponse.BodySubscriber<byte[]> {

    /** The body is larger than the limit. */
    static final class TooLarge extends IOException {
        private static final long serialVersionUID = 1L;

        TooLarge(String message) {
            super(message);
        }
    }

    private final long limit;
    private final boolean refuseOverflow;
    private final long announced;
    private final CompletableFuture<byte[]> body = new CompletableFuture<>();
    private final ByteArrayOutputStream out;
    private Flow.Subscription subscription;

    /** @param announced the Content-Length, or -1 */
    LimitedBody(long limit, long announced, boolean refuseOverflow) {
        this.limit = limit;
        this.refuseOverflow = refuseOverflow;
        this.announced = announced;
        this.out = new ByteArrayOutputStream((int) Math.max(0, Math.min(limit, announced < 0 ? 8192 : announced)));
    }

    @Override
    public CompletionStage<byte[]> getBody() {
        return body;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        subscription = s;
        if (refuseOverflow && announced > limit) {
            s.cancel();
            body.completeExceptionally(new TooLarge(announced + " bytes, limit " + limit + " (--max-image-bytes)"));
            return;
        }
        s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> buffers) {
        if (body.isDone()) {
            return;
        }
        for (ByteBuffer b : buffers) {
            int n = b.remaining();
            if (out.size() + (long) n > limit) {
                if (refuseOverflow) {
                    subscription.cancel();
                    body.completeExceptionally(new TooLarge("more than " + limit + " bytes (--max-image-bytes)"));
                    return;
                }
                n = (int) (limit - out.size());
            }
            byte[] chunk = new byte[n];
            b.get(chunk);
            out.write(chunk, 0, n);
        }
    }

    @Override
    public void onError(Throwable t) {
        body.completeExceptionally(t);
    }

    @Override
    public void onComplete() {
        body.complete(out.toByteArray());
    }
}
