package io.imageclassifier.classify;

import ai.onnxruntime.OrtException;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands out one ONNX Runtime session per model configuration per JVM, reference-counted: every
 * Flink subtask in a TaskManager acquires a {@link Lease} in {@code open()} and releases it in
 * {@code close()}; the session is created by the first acquisition and closed when the last lease
 * is released.
 *
 * <p>Why a static instance ({@link #jvmWide()}), when static client singletons are otherwise
 * avoided: a session holds the model's weights and its thread pool (~125 MB and the intra-op
 * threads), and ONNX Runtime sessions are thread-safe, so one per TaskManager instead of one per
 * slot saves memory and keeps the thread count to what was configured. The registry holds no
 * configuration of its own (the key is the whole session configuration), is explicitly
 * reference-counted so nothing outlives its last user, and tests create private instances.
 *
 * <p>Classloading: the registry lives in the classloader that loaded this class. With the job jar
 * in Flink's child-first user classloader, a job restart in the same TaskManager gets a fresh
 * registry (the old one was emptied by the old tasks' {@code close()}), but ONNX Runtime's native
 * library cannot be bound to a second classloader; deploy ONNX Runtime parent-first (its jar in
 * Flink's {@code lib/} and {@code classloader.parent-first-patterns.additional: ai.onnxruntime.})
 * when jobs restart inside long-lived TaskManagers.
 */
public final class SharedModelRegistry {

    private static final Logger LOG = LoggerFactory.getLogger(SharedModelRegistry.class);

    private static final SharedModelRegistry JVM_WIDE = new SharedModelRegistry();

    /** What a session depends on; topK and limits are per-classifier and not part of it. */
    private record Key(String model, String labels, String defaultLabels, int threads,
            ModelConfig.ExecutionProvider provider, String version) {
        static Key of(ModelConfig c) {
            return new Key(c.modelLocation(), c.labelsLocation(), c.defaultLabelsLocation(), c.intraOpThreads(),
                    c.executionProvider(), c.version());
        }
    }

    private static final class Entry {
        final LoadedModel model;
        int references;

        Entry(LoadedModel model) {
            this.model = model;
        }
    }

    private final Map<Key, Entry> entries = new HashMap<>();

    /** A registry of its own (tests; or isolation between unrelated users in one JVM). */
    public SharedModelRegistry() {}

    /** The registry shared by every task of this classloader in this JVM. */
    public static SharedModelRegistry jvmWide() {
        return JVM_WIDE;
    }

    /**
     * A lease on the session for {@code config}, loading it when no one holds one. Loading happens
     * under the registry's lock, so concurrent first acquisitions load once.
     */
    public synchronized Lease acquire(ModelConfig config, ModelFetcher fetcher) throws ModelLoadException {
        Key key = Key.of(config);
        Entry e = entries.get(key);
        if (e == null) {
            long start = System.nanoTime();
            e = new Entry(LoadedModel.load(config, fetcher));
            entries.put(key, e);
            LOG.info("Loaded model {} (version {}, sha256 {}, {} labels, {} on {}) in {} ms", e.model.name(),
                    e.model.version(), e.model.sha256(), e.model.labels().size(), config.modelLocation(),
                    e.model.executionProvider(),
                    (System.nanoTime() - start) / 1_000_000);
        }
        e.references++;
        return new Lease(this, key, e.model);
    }

    /** Sessions currently open. */
    public synchronized int openSessions() {
        return entries.size();
    }

    /** The model locations whose sessions are open (for operators and tests: which versions are in memory). */
    public synchronized Set<String> openModels() {
        Set<String> out = new TreeSet<>();
        entries.keySet().forEach(k -> out.add(k.model()));
        return out;
    }

    private synchronized void release(Key key, LoadedModel model) {
        Entry e = entries.get(key);
        if (e == null || e.model != model) {
            return;
        }
        if (--e.references == 0) {
            entries.remove(key);
            try {
                model.close();
            } catch (OrtException ex) {
                LOG.warn("Closing the session of model {} failed", key.model(), ex);
            }
        }
    }

    /** One user's hold on a shared model; {@link #close()} releases it (idempotent). */
    public static final class Lease implements AutoCloseable {
        private final SharedModelRegistry registry;
        private final Key key;
        private final LoadedModel model;
        private boolean released;

        private Lease(SharedModelRegistry registry, Key key, LoadedModel model) {
            this.registry = registry;
            this.key = key;
            this.model = model;
        }

        public LoadedModel model() {
            if (released) {
                throw new IllegalStateException("lease on model " + key.model() + " was released");
            }
            return model;
        }

        @Override
        public void close() {
            synchronized (this) {
                if (released) {
                    return;
                }
                released = true;
            }
            registry.release(key, model);
        }

        @Override
        public String toString() {
            return "Lease[" + Objects.toString(key.model()) + (released ? ", released]" : "]");
        }
    }
}
