package io.imageclassifier.classify;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import javax.imageio.ImageIO;
import javax.imageio.spi.IIORegistry;
import javax.imageio.spi.ImageReaderSpi;
import javax.imageio.spi.ServiceRegistry;
import javax.imageio.stream.ImageInputStream;

/**
 * The image readers this package decodes with: the JDK's own (PNG, GIF, BMP, JPEG) plus the
 * plugins on this class's classpath (TwelveMonkeys JPEG and WebP), in ImageIO's priority order.
 *
 * <p>Why not just {@code ImageIO.getImageReaders}: ImageIO's registry is JVM-wide and, when first
 * used, scans for plugins with the thread's context classloader. Under Flink the job jar is loaded
 * by a child-first user classloader, and the registry may have been initialised by another thread
 * (or job) beforehand, so the TwelveMonkeys plugins in the job jar are silently missing and CMYK
 * JPEGs and WebP fail. Registering them into the global registry instead would pin this job's
 * classloader there after the job ends (a leak across job restarts in one TaskManager), and a
 * restarted job would see both its own and the dead job's plugin classes. So this class builds a
 * private {@link ServiceRegistry}, filled from {@link ServiceLoader} with the classloader of this
 * class (which is the one that loaded the job jar), plus the JDK's built-in readers that the
 * TwelveMonkeys JPEG reader delegates to. It lives and dies with this class's classloader.
 */
final class ImageReaders {

    private static final List<ImageReaderSpi> PROVIDERS = load();

    private ImageReaders() {}

    /** Registered reader providers, best first. */
    static List<ImageReaderSpi> providers() {
        return PROVIDERS;
    }

    /** The provider of the first reader that recognises the stream, or null. The stream is left at its start. */
    static ImageReaderSpi providerFor(ImageInputStream in) throws IOException {
        for (ImageReaderSpi spi : PROVIDERS) {
            in.seek(0);
            boolean claims;
            try {
                claims = spi.canDecodeInput(in);
            } catch (IOException | RuntimeException e) {
                // Some probes read past the end of very short input (EOFException), others trip over
                // malformed headers (index or argument errors): either way, not this reader's format.
                claims = false;
            }
            if (claims) {
                in.seek(0);
                return spi;
            }
        }
        in.seek(0);
        return null;
    }

    /**
     * Touches ImageIO for the first time with the system classloader as the thread's context loader.
     * ImageIO's static initialiser builds the JVM-wide registry from the context loader of whichever
     * thread gets there first; on a Flink task thread that is the job's child-first classloader, whose
     * TwelveMonkeys plugins would then sit in the JVM-wide registry: that pins the job's classloader
     * after the job ends, serves a restarted job the dead job's plugin classes, and broke other
     * callers with IllegalAccessError (seen when a REST-submitted job ran first in a test JVM).
     */
    private static Iterator<ImageReaderSpi> jdkRegistryReaders() {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(ClassLoader.getSystemClassLoader());
        try {
            // ImageIO's disk cache would copy every stream to a temp file; we read from byte arrays.
            ImageIO.setUseCache(false);
            return IIORegistry.getDefaultInstance().getServiceProviders(ImageReaderSpi.class, false);
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    private static List<ImageReaderSpi> load() {
        ServiceRegistry registry = new ServiceRegistry(List.<Class<?>>of(ImageReaderSpi.class).iterator());
        // JDK built-ins first (defined by the bootstrap loader), so that the TwelveMonkeys JPEG
        // provider finds its delegate on registration and orders itself ahead of it.
        Iterator<ImageReaderSpi> builtIn = jdkRegistryReaders();
        while (builtIn.hasNext()) {
            ImageReaderSpi spi = builtIn.next();
            if (spi.getClass().getClassLoader() == null) {
                registry.registerServiceProvider(spi, ImageReaderSpi.class);
            }
        }
        Iterator<ImageReaderSpi> plugins = ServiceLoader.load(ImageReaderSpi.class, ImageReaders.class.getClassLoader()).iterator();
        while (true) {
            try {
                if (!plugins.hasNext()) {
                    break;
                }
                registry.registerServiceProvider(plugins.next(), ImageReaderSpi.class);
            } catch (ServiceConfigurationError e) {
                // A broken plugin on the classpath must not take the others down; it just isn't used.
            }
        }
        List<ImageReaderSpi> ordered = new ArrayList<>();
        registry.getServiceProviders(ImageReaderSpi.class, true).forEachRemaining(ordered::add);
        return List.copyOf(ordered);
    }
}
