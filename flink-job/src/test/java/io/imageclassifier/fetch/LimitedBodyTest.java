package io.imageclassifier.fetch;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import org.junit.jupiter.api.Test;

class LimitedBodyTest {

    /** Records what the body asked of the download. */
    private static final class Download implements Flow.Subscription {
        long requested;
        boolean cancelled;

        @Override
        public void request(long n) {
            requested += n;
        }

        @Override
        public void cancel() {
            cancelled = true;
        }
    }

    private static List<ByteBuffer> bytes(int n) {
        return List.of(ByteBuffer.wrap(new byte[n]));
    }

    private static Throwable failure(LimitedBody body) {
        try {
            body.getBody().toCompletableFuture().get();
            throw new AssertionError("expected a failure");
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void collectsABodyWithinTheLimit() throws Exception {
        LimitedBody body = new LimitedBody(10, -1, true);
        Download download = new Download();
        body.onSubscribe(download);
        body.onNext(bytes(4));
        body.onNext(List.of(ByteBuffer.wrap(new byte[] {1, 2}), ByteBuffer.wrap(new byte[] {3, 4, 5, 6})));
        body.onComplete();

        CompletableFuture<byte[]> result = body.getBody().toCompletableFuture();
        assertThat(result.get()).hasSize(10).endsWith(1, 2, 3, 4, 5, 6);
        assertThat(download.cancelled).isFalse();
    }

    @Test
    void aBodyOfUnknownLengthIsCancelledAsSoonAsItPassesTheLimit() {
        LimitedBody body = new LimitedBody(10, -1, true);
        Download download = new Download();
        body.onSubscribe(download);
        body.onNext(bytes(8));
        body.onNext(bytes(8));

        assertThat(download.cancelled).isTrue();
        assertThat(failure(body)).isInstanceOf(LimitedBody.TooLarge.class).hasMessageContaining("more than 10 bytes");
    }

    @Test
    void aBodyAnnouncedOverTheLimitIsNeverRequested() {
        LimitedBody body = new LimitedBody(10, 11, true);
        Download download = new Download();
        body.onSubscribe(download);

        assertThat(download.requested).isZero();
        assertThat(download.cancelled).isTrue();
        assertThat(failure(body)).isInstanceOf(LimitedBody.TooLarge.class).hasMessageContaining("11 bytes, limit 10");
    }

    @Test
    void anErrorBodyIsCutAtTheLimitInsteadOfFailing() throws Exception {
        LimitedBody body = new LimitedBody(10, -1, false);
        body.onSubscribe(new Download());
        body.onNext(bytes(8));
        body.onNext(bytes(8));
        body.onComplete();

        assertThat(body.getBody().toCompletableFuture().get()).hasSize(10);
    }
}
