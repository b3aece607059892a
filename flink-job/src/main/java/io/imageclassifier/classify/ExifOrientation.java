package io.imageclassifier.classify;

/**
 * Reads the EXIF orientation (TIFF tag 0x0112, values 1..8) from a JPEG's APP1 Exif segment.
 * Cheap: walks the marker segments before the first scan without decoding anything, and treats
 * anything malformed as "no orientation" (1) rather than failing the image.
 */
final class ExifOrientation {

    static final int NORMAL = 1;
    private static final int TAG_ORIENTATION = 0x0112;

    private ExifOrientation() {}

    /** The orientation of a JPEG, or 1 when it has none, is not a JPEG, or the Exif is malformed. */
    static int ofJpeg(byte[] b) {
        if (b.length < 4 || (b[0] & 0xff) != 0xFF || (b[1] & 0xff) != 0xD8) {
            return NORMAL;
        }
        int p = 2;
        while (p + 4 <= b.length) {
            if ((b[p] & 0xff) != 0xFF) {
                return NORMAL;
            }
            int marker = b[p + 1] & 0xff;
            if (marker == 0xFF) { // fill byte
                p++;
                continue;
            }
            if (marker == 0xDA || marker == 0xD9) { // start of scan / end of image: no more metadata
                return NORMAL;
            }
            if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) { // markers without a length
                p += 2;
                continue;
            }
            int len = u16(b, p + 2, false);
            if (len < 2 || p + 2 + len > b.length) {
                return NORMAL;
            }
            int start = p + 4;
            if (marker == 0xE1 && len >= 8 && b[start] == 'E' && b[start + 1] == 'x' && b[start + 2] == 'i'
                    && b[start + 3] == 'f' && b[start + 4] == 0 && b[start + 5] == 0) {
                int o = ofTiff(b, start + 6, p + 2 + len);
                if (o != 0) {
                    return o;
                }
            }
            p += 2 + len;
        }
        return NORMAL;
    }

    /** Orientation from the IFD0 of a TIFF structure in {@code b[tiff, end)}; 0 when absent. */
    static int ofTiff(byte[] b, int tiff, int end) {
        if (end - tiff < 8) {
            return 0;
        }
        boolean little;
        if (b[tiff] == 'I' && b[tiff + 1] == 'I') {
            little = true;
        } else if (b[tiff] == 'M' && b[tiff + 1] == 'M') {
            little = false;
        } else {
            return 0;
        }
        if (u16(b, tiff + 2, little) != 42) {
            return 0;
        }
        long ifd = u32(b, tiff + 4, little);
        if (ifd < 8 || tiff + ifd + 2 > end) {
            return 0;
        }
        int p = (int) (tiff + ifd);
        int count = u16(b, p, little);
        p += 2;
        for (int i = 0; i < count && p + 12 <= end; i++, p += 12) {
            if (u16(b, p, little) == TAG_ORIENTATION) {
                int type = u16(b, p + 2, little);
                int v = type == 3 ? u16(b, p + 8, little) : type == 4 ? (int) u32(b, p + 8, little) : 0;
                return v >= 1 && v <= 8 ? v : 0;
            }
        }
        return 0;
    }

    private static int u16(byte[] b, int p, boolean little) {
        int a = b[p] & 0xff;
        int c = b[p + 1] & 0xff;
        return little ? c << 8 | a : a << 8 | c;
    }

    private static long u32(byte[] b, int p, boolean little) {
        long hi = u16(b, little ? p + 2 : p, little);
        long lo = u16(b, little ? p : p + 2, little);
        return hi << 16 | lo;
    }
}
