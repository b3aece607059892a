package io.imageclassifier.fetch;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Reads a response body of at most {@code limit} bytes into one array, sized by the Content-Length
 * when there is one (one copy of the bytes, none for a final resize when the length was right). With
 * {@code refuseOverflow}, a body announced or streaming past the limit fails with {@link TooLarge}
 * as soon as that is known, so an oversized object is never read to its end; without it (error
 * bodies, kept for their message) the rest is left unread.
 */
final class BoundedRead {

    /** The body is larger than the limit. */
    static final class TooLarge extends IOException {
        private static final long serialVersionUID = 1L;

        TooLarge(String message) {
            super(message);
        }
    }

    private BoundedRead() {}

    /** @param announced the Content-Length, or -1 */
    static byte[] read(InputStream in, long limit, long announced, boolean refuseOverflow) throws IOException {
        if (refuseOverflow && announced > limit) {
            throw new TooLarge(announced + " bytes, limit " + limit + " (--max-image-bytes)");
        }
        byte[] out = new byte[(int) Math.min(limit, announced >= 0 ? announced : 64 * 1024)];
        int size = 0;
        while (true) {
            if (size == out.length) {
                // Full: either the end, or more than announced (or than the buffer held so far).
                int next = in.read();
                if (next < 0) {
                    return out;
                }
                if (size >= limit) {
                    if (refuseOverflow) {
                        throw new TooLarge("more than " + limit + " bytes (--max-image-bytes)");
                    }
                    return out; // an error body, cut at the limit
                }
                out = Arrays.copyOf(out, (int) Math.min(limit, Math.max(2L * size, size + 1L)));
                out[size++] = (byte) next;
                continue;
            }
            int n = in.read(out, size, out.length - size);
            if (n < 0) {
                return size == out.length ? out : Arrays.copyOf(out, size);
            }
            size += n;
        }
    }
}
