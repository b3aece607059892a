package io.imageclassifier.model;

import io.imageclassifier.classify.ModelConfig;
import io.imageclassifier.classify.SharedModelRegistry;
import io.imageclassifier.config.GcsConfig;
import io.imageclassifier.config.ModelRolloutSettings;
import io.imageclassifier.fetch.GcsModelFetcher;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One {@link ModelWatcher} per repository per TaskManager JVM, shared by every classifying subtask
 * there and reference-counted like {@link SharedModelRegistry}'s sessions (same reasoning, same
 * classloader caveats): one poller and one session per version per TaskManager, however many slots.
 * The first subtask starts it (and waits for its first model), the last one stops it.
 */
public final class ModelWatchers {

    private static final ModelWatchers JVM_WIDE = new ModelWatchers(SharedModelRegistry.jvmWide());

    /** Everything a watcher's behaviour depends on. */
    private record Key(ModelRepository repository, ModelConfig base, ModelRolloutSettings rollout, GcsConfig gcs) {}

    private static final class Entry {
        final ModelWatcher watcher;
        int references;

        Entry(ModelWatcher watcher) {
            this.watcher = watcher;
        }
    }

    private final SharedModelRegistry registry;
    private final Map<Key, Entry> entries = new HashMap<>();

    /** Watchers of their own, loading into {@code registry} (tests). */
    public ModelWatchers(SharedModelRegistry registry) {
        this.registry = registry;
    }

    /** The watchers shared by every task of this classloader in this JVM. */
    public static ModelWatchers jvmWide() {
        return JVM_WIDE;
    }

    /**
     * A hold on the watcher of {@code rollout}'s repository, started (first model loaded) if no one
     * holds it yet.
     *
     * @param fallbacks versions to keep if the one {@code CURRENT} names is refused at start
     */
    public synchronized ModelSupply acquire(ModelRolloutSettings rollout, ModelConfig base, GcsConfig gcs,
            List<String> fallbacks) throws IOException {
        Key key = new Key(new ModelRepository(rollout.repository()), base, rollout, gcs);
        Entry e = entries.get(key);
        if (e == null) {
            ModelWatcher w = new ModelWatcher(key.repository(), base, GcsModelFetcher.withLocalFallback(gcs),
                    TextStore.forLocation(rollout.repository(), gcs), registry, rollout.canary());
            try {
                w.start(fallbacks);
            } catch (IOException | RuntimeException ex) {
                w.close();
                throw ex;
            }
            w.schedule(rollout.pollInterval());
            e = new Entry(w);
            entries.put(key, e);
        }
        e.references++;
        return new Hold(key, e.watcher);
    }

    /** Watchers currently running. */
    public synchronized int running() {
        return entries.size();
    }

    private synchronized void release(Key key, ModelWatcher watcher) {
        Entry e = entries.get(key);
        if (e != null && e.watcher == watcher && --e.references == 0) {
            entries.remove(key);
            watcher.close();
        }
    }

    /** One subtask's hold on a shared watcher. */
    private final class Hold implements ModelSupply {
        private final Key key;
        private final ModelWatcher watcher;
        private boolean released;

        Hold(Key key, ModelWatcher watcher) {
            this.key = key;
            this.watcher = watcher;
        }

        @Override
        public ModelSet models() {
            return watcher.models();
        }

        @Override
        public int refusedVersions() {
            return watcher.refusedVersions();
        }

        @Override
        public void close() {
            synchronized (this) {
                if (released) {
                    return;
                }
                released = true;
            }
            release(key, watcher);
        }
    }
}
