package io.imageclassifier.deploy;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.FallbackKey;

/**
 * The configuration options of the Flink version on the classpath (2.3), found by reflection over
 * the {@code *Options} classes of flink-core, so a misspelt, removed or deprecated key in a
 * manifest fails a test instead of being ignored by the cluster.
 */
final class FlinkConfigKeys {

    /**
     * Keys that belong to components whose classes are not on the test classpath: the operator,
     * Flink's Kubernetes integration, reporters configured by name, and the operator's autoscaler
     * (checked by {@link AutoscalerKeys} instead).
     */
    static final List<String> UNCHECKED_PREFIXES = List.of("kubernetes.operator.", "kubernetes.", "metrics.reporter.",
            AutoscalerKeys.PREFIX);

    private final Map<String, ConfigOption<?>> options = new HashMap<>();
    private final Map<String, String> deprecated = new HashMap<>();

    private FlinkConfigKeys() {}

    static FlinkConfigKeys ofClasspath() throws IOException, URISyntaxException {
        FlinkConfigKeys keys = new FlinkConfigKeys();
        Path jar = Path.of(CoreOptions.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        try (JarFile jf = new JarFile(jar.toFile())) {
            for (JarEntry e : jf.stream().toList()) {
                String name = e.getName();
                if (name.startsWith("org/apache/flink/") && name.endsWith("Options.class") && !name.contains("$")) {
                    keys.addOptionsOf(name.substring(0, name.length() - ".class".length()).replace('/', '.'));
                }
            }
        }
        return keys;
    }

    private void addOptionsOf(String className) {
        Class<?> c;
        try {
            c = Class.forName(className, false, getClass().getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            return;
        }
        for (Field f : c.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && ConfigOption.class.isAssignableFrom(f.getType())) {
                try {
                    ConfigOption<?> o = (ConfigOption<?>) f.get(null);
                    if (f.isAnnotationPresent(Deprecated.class)) {
                        deprecated.putIfAbsent(o.key(), className + "." + f.getName());
                    } else {
                        options.put(o.key(), o);
                    }
                    for (FallbackKey k : o.fallbackKeys()) {
                        deprecated.putIfAbsent(k.getKey(), "fallback of " + o.key());
                    }
                } catch (IllegalAccessException | RuntimeException | LinkageError ignored) {
                    // an option class that cannot initialise here is not one the manifests use
                }
            }
        }
    }

    int size() {
        return options.size();
    }

    /** Problems with a flinkConfiguration map: unknown or deprecated keys, values of the wrong type. */
    List<String> check(Map<String, String> config) {
        List<String> problems = new ArrayList<>();
        Configuration conf = Configuration.fromMap(config);
        for (Map.Entry<String, String> e : config.entrySet()) {
            String key = e.getKey();
            if (UNCHECKED_PREFIXES.stream().anyMatch(key::startsWith)) {
                continue;
            }
            ConfigOption<?> option = options.get(key);
            if (option == null) {
                problems.add(deprecated.containsKey(key)
                        ? key + " is deprecated in Flink 2.x (" + deprecated.get(key) + ")"
                        : key + " is not a Flink configuration option");
                continue;
            }
            try {
                conf.get(option);
            } catch (RuntimeException ex) {
                problems.add(key + ": invalid value '" + e.getValue() + "': " + ex.getMessage());
            }
        }
        return problems;
    }
}
