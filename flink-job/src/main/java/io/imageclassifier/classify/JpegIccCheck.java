package io.imageclassifier.classify;

import io.imageclassifier.record.DeadLetterReason;

/**
 * Refuses a JPEG whose embedded ICC profile (APP2 {@code ICC_PROFILE} segments) declares, in its
 * header, more bytes than its segments carry: the JPEG reader allocates the declared size up front,
 * so a few hundred bytes could ask for 4 GB (found by the decoder fuzz test). Walks the marker
 * segments before the first scan only; anything malformed is left to the decoder.
 */
final class JpegIccCheck {

    private static final byte[] ICC = "ICC_PROFILE\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private JpegIccCheck() {}

    static void check(byte[] b) throws ImageRejectedException {
        long carried = 0;
        long declared = -1;
        int p = 2;
        while (p + 4 <= b.length && (b[p] & 0xff) == 0xff) {
            int marker = b[p + 1] & 0xff;
            if (marker == 0xff) {
                p++;
                continue;
            }
            if (marker == 0xda || marker == 0xd9) {
                break;
            }
            if (marker == 0x01 || marker >= 0xd0 && marker <= 0xd7) {
                p += 2;
                continue;
            }
            int len = (b[p + 2] & 0xff) << 8 | (b[p + 3] & 0xff);
            int data = p + 4;
            int payload = data + ICC.length + 2; // identifier, then sequence number and chunk count
            if (marker == 0xe2 && len >= ICC.length + 2 && payload <= b.length
                    && java.util.Arrays.equals(b, data, data + ICC.length, ICC, 0, ICC.length)) {
                carried += len - 2 - ICC.length - 2;
                if (b[data + ICC.length] == 1 && payload + 4 <= b.length) { // the first chunk starts with the profile header
                    declared = (b[payload] & 0xffL) << 24 | (b[payload + 1] & 0xff) << 16
                            | (b[payload + 2] & 0xff) << 8 | (b[payload + 3] & 0xff);
                }
            }
            p += 2 + len;
        }
        if (declared > carried) {
            throw new ImageRejectedException(DeadLetterReason.DECODE_ERROR, "jpeg: the embedded ICC profile declares "
                    + declared + " bytes but its segments carry " + carried);
        }
    }
}
