package io.imageclassifier.source.local.enumerator;

import io.imageclassifier.source.local.split.LocalFile;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lists the regular files under a directory, recursively and following links. Names starting with
 * '.' or '_' are skipped, files and directories alike (as Flink's file sources do), so a writer
 * that writes {@code .name.tmp} and renames it when complete is never read half-written.
 */
public final class DirectoryLister implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(DirectoryLister.class);

    private final String dir;

    public DirectoryLister(String dir) {
        this.dir = dir;
    }

    /** The directory's files, sorted by name, stamped with the time of this listing. */
    public List<LocalFile> list() {
        Path root = Path.of(dir);
        long now = System.currentTimeMillis();
        List<LocalFile> files = new ArrayList<>();
        try {
            Files.walkFileTree(root, EnumSet.of(FileVisitOption.FOLLOW_LINKS), Integer.MAX_VALUE,
                    new SimpleFileVisitor<>() {
                        @Override
                        public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                            return d.equals(root) || !hidden(d) ? FileVisitResult.CONTINUE : FileVisitResult.SKIP_SUBTREE;
                        }

                        @Override
                        public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
                            if (attrs.isRegularFile() && !hidden(f)) {
                                files.add(new LocalFile(relative(root, f), attrs.lastModifiedTime().toMillis(),
                                        attrs.size(), now));
                            }
                            return FileVisitResult.CONTINUE;
                        }

                        @Override
                        public FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
                            if (f.equals(root)) {
                                throw e;
                            }
                            // Deleted between listing its directory and reading its attributes, or a
                            // link cycle: not a file to classify.
                            LOG.debug("Skipping {}: {}", f, e.toString());
                            return FileVisitResult.CONTINUE;
                        }
                    });
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list " + root + ": " + e, e);
        }
        files.sort(Comparator.comparing(LocalFile::name));
        return files;
    }

    private static boolean hidden(Path p) {
        String name = p.getFileName().toString();
        return name.startsWith(".") || name.startsWith("_");
    }

    private static String relative(Path root, Path f) {
        return root.relativize(f).toString().replace(f.getFileSystem().getSeparator(), "/");
    }
}
