package io.imageclassifier.fetch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BoundedReadTest {

    /** A body that arrives in small pieces and counts what was read of it. */
    private static final class Trickle extends InputStream {
        private final byte[] bytes;
        private final int piece;
        int position;

        Trickle(byte[] bytes, int piece) {
            this.bytes = bytes;
            this.piece = piece;
        }

        @Override
        public int read() {
            return position < bytes.length ? bytes[position++] & 0xff : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (position >= bytes.length) {
                return -1;
            }
            int n = Math.min(Math.min(len, piece), bytes.length - position);
            System.arraycopy(bytes, position, b, off, n);
            position += n;
            return n;
        }
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    @Test
    void readsABodyOfItsAnnouncedLengthIntoExactlyThatArray() throws IOException {
        byte[] body = random(10_000);
        assertThat(BoundedRead.read(new Trickle(body, 700), 20_000, body.length, true)).isEqualTo(body);
    }

    @Test
    void readsABodyOfUnknownLengthAcrossBufferGrowth() throws IOException {
        byte[] body = random(300_000);
        assertThat(BoundedRead.read(new Trickle(body, 4096), 1 << 20, -1, true)).isEqualTo(body);
        assertThat(BoundedRead.read(new ByteArrayInputStream(new byte[0]), 10, -1, true)).isEmpty();
        assertThat(BoundedRead.read(new ByteArrayInputStream(new byte[0]), 10, 0, true)).isEmpty();
    }

    @Test
    void aBodyShorterOrLongerThanAnnouncedIsReadAsItIs() throws IOException {
        byte[] body = random(1000);
        assertThat(BoundedRead.read(new Trickle(body, 100), 10_000, 2000, true)).isEqualTo(body);
        assertThat(BoundedRead.read(new Trickle(body, 100), 10_000, 10, true)).isEqualTo(body);
    }

    @Test
    void aBodyAnnouncedOverTheLimitIsNotRead() {
        Trickle in = new Trickle(random(11), 4);
        assertThatThrownBy(() -> BoundedRead.read(in, 10, 11, true)).isInstanceOf(BoundedRead.TooLarge.class)
                .hasMessageContaining("11 bytes, limit 10");
        assertThat(in.position).isZero();
    }

    @Test
    void aBodyOfUnknownLengthFailsAsSoonAsItPassesTheLimit() {
        Trickle in = new Trickle(random(1 << 20), 1000);
        assertThatThrownBy(() -> BoundedRead.read(in, 10_000, -1, true)).isInstanceOf(BoundedRead.TooLarge.class)
                .hasMessageContaining("more than 10000 bytes");
        assertThat(in.position).isEqualTo(10_001);
    }

    @Test
    void anErrorBodyIsCutAtTheLimitInsteadOfFailing() throws IOException {
        byte[] body = random(100);
        assertThat(BoundedRead.read(new Trickle(body, 8), 10, -1, false)).containsExactly(
                Arrays.copyOf(body, 10));
    }
}
