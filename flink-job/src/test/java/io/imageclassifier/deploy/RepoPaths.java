package io.imageclassifier.deploy;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the repository's deployables (k8s/, scripts/) and the shared data from a test JVM. */
final class RepoPaths {

    private RepoPaths() {}

    /** The repository root: the nearest directory above the working directory holding k8s/ and pom.xml. */
    static Path root() {
        Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        for (Path d = dir; d != null; d = d.getParent()) {
            if (Files.isDirectory(d.resolve("k8s")) && Files.isRegularFile(d.resolve("pom.xml"))) {
                return d;
            }
        }
        throw new IllegalStateException("no repository root (with k8s/ and pom.xml) above " + dir);
    }

    /** The shared data mirror: -Dshared.dir, $SHARED_DIR, else ../shared beside the repository. */
    static Path shared() {
        String dir = System.getProperty("shared.dir", System.getenv("SHARED_DIR"));
        return dir != null ? Path.of(dir) : root().resolveSibling("shared");
    }

    /** The operator's FlinkDeployment CRD that the manifests are validated against. */
    static Path flinkDeploymentCrd() {
        return shared().resolve("k8s/flinkdeployments.flink.apache.org-v1.yml");
    }

    /** The operator's FlinkSessionJob CRD (jobs submitted to a session cluster). */
    static Path flinkSessionJobCrd() {
        return shared().resolve("k8s/flinksessionjobs.flink.apache.org-v1.yml");
    }
}
