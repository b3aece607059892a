package io.imageclassifier.classify;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The part of libheif's C API ({@code libheif/heif.h}, stable since 1.x; Debian bookworm ships
 * 1.15, Ubuntu 22.04 1.12) that {@link HeifDecoder} calls, bound with JNA when the library is
 * installed ({@code apt-get install libheif1}: HEVC through libde265, AV1 through dav1d or aom).
 * Only the runtime package is needed: the unversioned {@code libheif.so} of the -dev package is
 * tried first, then {@code libheif.so.1}.
 */
interface LibHeif extends Library {

    int COLORSPACE_RGB = 1;
    int CHROMA_INTERLEAVED_RGB = 10;
    int CHROMA_INTERLEAVED_RGBA = 11;
    int CHANNEL_INTERLEAVED = 10;
    /** Byte offset of {@code convert_hdr_to_8bit} in {@code struct heif_decoding_options} (version >= 2, LP64). */
    int OPTION_CONVERT_HDR_TO_8BIT = 40;

    Pointer heif_get_version();

    Pointer heif_context_alloc();

    void heif_context_free(Pointer ctx);

    void heif_context_set_maximum_image_size_limit(Pointer ctx, int maximumWidth);

    /** Copies the bytes (the "without copy" variant would keep a pointer to JNA's temporary copy). */
    HeifError.ByValue heif_context_read_from_memory(Pointer ctx, byte[] mem, long size, Pointer options);

    HeifError.ByValue heif_context_get_primary_image_handle(Pointer ctx, PointerByReference handle);

    void heif_image_handle_release(Pointer handle);

    int heif_image_handle_get_width(Pointer handle);

    int heif_image_handle_get_height(Pointer handle);

    int heif_image_handle_has_alpha_channel(Pointer handle);

    int heif_image_handle_get_luma_bits_per_pixel(Pointer handle);

    Pointer heif_decoding_options_alloc();

    void heif_decoding_options_free(Pointer options);

    HeifError.ByValue heif_decode_image(Pointer handle, PointerByReference image, int colorspace, int chroma,
            Pointer options);

    int heif_image_get_width(Pointer image, int channel);

    int heif_image_get_height(Pointer image, int channel);

    Pointer heif_image_get_plane_readonly(Pointer image, int channel, IntByReference stride);

    void heif_image_release(Pointer image);

    /** {@code struct heif_error}, returned by value. */
    @Structure.FieldOrder({"code", "subcode", "message"})
    class HeifError extends Structure {
        public int code;
        public int subcode;
        public Pointer message;

        /** The by-value variant JNA needs for return types. */
        public static class ByValue extends HeifError implements Structure.ByValue {}

        boolean ok() {
            return code == 0;
        }

        String text() {
            return (message == null ? "error" : message.getString(0)) + " (code " + code + "." + subcode + ")";
        }
    }

    /** The loaded library, or the reason it is not there. */
    record Loaded(LibHeif lib, String version, String missing) {

        private static final Logger LOG = LoggerFactory.getLogger(LibHeif.class);

        static Loaded load() {
            Throwable last = null;
            for (String name : new String[] {"heif", "libheif.so.1"}) {
                try {
                    LibHeif lib = Native.load(name, LibHeif.class);
                    String version = lib.heif_get_version().getString(0);
                    LOG.info("HEIC/AVIF decoding: libheif {}", version);
                    return new Loaded(lib, version, null);
                } catch (UnsatisfiedLinkError | RuntimeException e) {
                    last = e;
                }
            }
            String detail = String.valueOf(last.getMessage()).lines().findFirst().orElse("");
            String why = "libheif, which is not installed (Debian/Ubuntu: apt-get install libheif1): " + detail;
            LOG.info("HEIC/AVIF decoding: off, {}", why);
            return new Loaded(null, null, why);
        }
    }
}
