package io.imageclassifier.model;

import io.imageclassifier.classify.ModelConfig;
import io.imageclassifier.classify.ModelFetcher;
import io.imageclassifier.classify.ModelLoadException;
import io.imageclassifier.classify.SharedModelRegistry;
import io.imageclassifier.model.ModelRepository.InvalidPointerException;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches a {@link ModelRepository} for one TaskManager: every poll it reads {@code CURRENT} (and,
 * with a canary, {@code CANDIDATE}), loads a newly named version next to the running one on its own
 * thread, checks it ({@link VersionCheck}), and publishes it as a new {@link ModelSet} in one write.
 * Images being classified keep the version they pinned; the old session closes after the last one.
 *
 * <p>Failures are sorted: a version that fails its checks (missing file, bad sidecar, labels that do
 * not fit the output, failed smoke inference, a pointer that names no valid folder) is <em>refused</em>:
 * logged once at ERROR, counted, and not tried again, while the running version stays. A read that
 * fails for another reason (the store is unreachable) is retried at the next poll.
 *
 * <p>After a restart the watcher starts on {@code CURRENT}; if that version is refused it keeps the
 * first loadable version of {@code fallbacks} (the versions running at the restored checkpoint), so
 * a job that refused a broken version keeps running after a failure instead of failing to start.
 */
public final class ModelWatcher implements ModelSupply {

    private static final Logger LOG = LoggerFactory.getLogger(ModelWatcher.class);

    /** Stack of the polling thread: loading a session is native code (see OrtEnvironments). */
    private static final long POLLER_STACK_BYTES = 16L << 20;

    private final ModelRepository repository;
    private final ModelConfig base;
    private final ModelFetcher fetcher;
    private final TextStore store;
    private final SharedModelRegistry registry;
    private final boolean canary;
    private final Map<String, String> refused = new ConcurrentHashMap<>();
    private volatile ModelSet models;
    private ScheduledExecutorService poller;
    private boolean closed;

    /**
     * @param base session and classifier settings every version is loaded with (its model and labels
     *             locations are replaced by the version's)
     */
    public ModelWatcher(ModelRepository repository, ModelConfig base, ModelFetcher fetcher, TextStore store,
            SharedModelRegistry registry, boolean canary) {
        this.repository = repository;
        this.base = base;
        this.fetcher = fetcher;
        this.store = store;
        this.registry = registry;
        this.canary = canary;
    }

    /**
     * Loads the version {@code CURRENT} names (or a fallback, see the class comment), then the
     * candidate. Runs on the caller's thread: a subtask's {@code open()} waits for its first model.
     *
     * @throws IOException when no version can be loaded; transient failures fail too (the job restarts)
     */
    public synchronized void start(List<String> fallbacks) throws IOException {
        ModelHandle handle = null;
        String problem;
        try {
            Optional<String> wanted = repository.readPointer(store, ModelRepository.CURRENT);
            problem = repository.pointer(ModelRepository.CURRENT) + " does not exist or is empty";
            if (wanted.isPresent()) {
                try {
                    handle = load(wanted.get());
                } catch (Refusal r) {
                    refuse(wanted.get(), ModelRepository.CURRENT, r.getMessage());
                    problem = "version " + wanted.get() + " named by " + repository.pointer(ModelRepository.CURRENT)
                            + " was refused: " + r.getMessage();
                }
            }
        } catch (InvalidPointerException e) {
            refusePointer(e);
            problem = e.getMessage();
        }
        if (handle == null) {
            handle = firstLoadable(fallbacks, problem);
        }
        models = new ModelSet(handle, null);
        LOG.info("Model repository {}: running version {} ({})", repository, handle.version(), describe(handle));
        if (canary) {
            refreshCandidate();
        }
    }

    /** Polls every {@code interval} on a daemon thread of its own, until {@link #close()}. */
    public synchronized void schedule(Duration interval) {
        poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(null, r, "model-watcher " + repository, POLLER_STACK_BYTES);
            t.setDaemon(true);
            return t;
        });
        long millis = interval.toMillis();
        poller.scheduleWithFixedDelay(this::pollSafely, millis, millis, TimeUnit.MILLISECONDS);
    }

    /** One round: switch to a newly named current version, refresh the candidate. Never throws. */
    public synchronized void poll() {
        if (closed) {
            return;
        }
        try {
            Optional<String> wanted = repository.readPointer(store, ModelRepository.CURRENT);
            if (wanted.isEmpty()) {
                LOG.warn("Model repository {}: {} is missing or empty; keeping version {}", repository,
                        ModelRepository.CURRENT, models.current().version());
            } else if (!wanted.get().equals(models.current().version()) && !refused.containsKey(wanted.get())) {
                switchTo(wanted.get());
            }
        } catch (InvalidPointerException e) {
            refusePointer(e);
        } catch (IOException e) {
            LOG.warn("Model repository {}: cannot read {} ({}); keeping version {}, trying again at the next poll",
                    repository, ModelRepository.CURRENT, e.getMessage(), models.current().version());
        }
        if (canary) {
            refreshCandidate();
        }
    }

    /** The latest published versions. */
    @Override
    public ModelSet models() {
        return models;
    }

    /** How many versions (or invalid pointer texts) were refused so far. */
    @Override
    public int refusedVersions() {
        return refused.size();
    }

    /** Refused versions and why. */
    public Map<String, String> refused() {
        return Map.copyOf(refused);
    }

    /** Stops polling and retires the published versions (their sessions close after their last image). */
    @Override
    public void close() {
        ScheduledExecutorService p;
        synchronized (this) {
            closed = true;
            p = poller;
        }
        if (p != null) {
            p.shutdownNow();
            try {
                p.awaitTermination(1, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (this) {
            ModelSet s = models;
            if (s != null) {
                s.current().retire();
                if (s.candidate() != null) {
                    s.candidate().retire();
                }
            }
            try {
                store.close();
            } catch (IOException e) {
                LOG.warn("Model repository {}: closing its store failed", repository, e);
            }
        }
    }

    private void pollSafely() {
        try {
            poll();
        } catch (RuntimeException e) { // a scheduled task that throws is never run again
            LOG.error("Model repository {}: poll failed; trying again at the next poll", repository, e);
        }
    }

    private void switchTo(String version) {
        ModelSet old = models;
        if (old.candidate() != null && old.candidate().version().equals(version)) {
            models = new ModelSet(old.candidate(), null);
            old.current().retire();
            LOG.info("Model repository {}: candidate {} is now the current version (was {}); {} closes after its "
                    + "last image", repository, version, old.current().version(), old.current().version());
            return;
        }
        long start = System.nanoTime();
        ModelHandle next;
        try {
            next = load(version);
        } catch (Refusal r) {
            refuse(version, ModelRepository.CURRENT, r.getMessage());
            return;
        } catch (IOException e) {
            LOG.warn("Model repository {}: cannot load version {} yet ({}); keeping version {}, trying again at the "
                    + "next poll", repository, version, e.getMessage(), old.current().version());
            return;
        }
        models = new ModelSet(next, old.candidate());
        old.current().retire();
        LOG.info("Model repository {}: switched from version {} to {} ({}) in {} ms; {} closes after its last image",
                repository, old.current().version(), version, describe(next), (System.nanoTime() - start) / 1_000_000,
                old.current().version());
    }

    private void refreshCandidate() {
        ModelSet s = models;
        String why;
        String wanted = null;
        try {
            Optional<String> named = repository.readPointer(store, ModelRepository.CANDIDATE);
            if (named.isEmpty()) {
                why = "no " + ModelRepository.CANDIDATE;
            } else if (named.get().equals(s.current().version())) {
                why = "it is the current version";
            } else if (refused.containsKey(named.get())) {
                why = "it was refused";
            } else if (repository.isRejected(store, named.get())) {
                why = "it carries a " + ModelRepository.REJECTED + " marker";
            } else {
                why = null;
                wanted = named.get();
            }
        } catch (InvalidPointerException e) {
            refusePointer(e);
            why = "the pointer is invalid";
        } catch (IOException e) {
            LOG.warn("Model repository {}: cannot read {} ({}); trying again at the next poll", repository,
                    ModelRepository.CANDIDATE, e.getMessage());
            return;
        }
        if (wanted == null) {
            dropCandidate(s, why);
            return;
        }
        if (s.candidate() != null && s.candidate().version().equals(wanted)) {
            return;
        }
        ModelHandle next;
        try {
            next = load(wanted);
        } catch (Refusal r) {
            refuse(wanted, ModelRepository.CANDIDATE, r.getMessage());
            dropCandidate(s, "it was refused");
            return;
        } catch (IOException e) {
            LOG.warn("Model repository {}: cannot load candidate {} yet ({}); trying again at the next poll",
                    repository, wanted, e.getMessage());
            return;
        }
        models = new ModelSet(s.current(), next);
        if (s.candidate() != null) {
            s.candidate().retire();
        }
        LOG.info("Model repository {}: canary of candidate {} ({}) against current version {}", repository, wanted,
                describe(next), s.current().version());
    }

    private void dropCandidate(ModelSet s, String why) {
        if (s.candidate() != null) {
            models = new ModelSet(s.current(), null);
            s.candidate().retire();
            LOG.info("Model repository {}: canary of {} ended: {}", repository, s.candidate().version(), why);
        }
    }

    private ModelHandle firstLoadable(List<String> fallbacks, String problem) throws IOException {
        for (String version : new LinkedHashSet<>(fallbacks)) {
            if (refused.containsKey(version)) {
                continue;
            }
            try {
                ModelHandle h = load(version);
                LOG.warn("Model repository {}: {}; keeping version {}, which was running at the restored checkpoint",
                        repository, problem, version);
                return h;
            } catch (Refusal r) {
                refuse(version, "the restored checkpoint", r.getMessage());
            }
        }
        throw new ModelLoadException(problem + "; no version from before a restart can be kept: write the name of a "
                + "working version into " + repository.pointer(ModelRepository.CURRENT));
    }

    /**
     * Loads and checks {@code version}.
     *
     * @throws Refusal     when the version itself is at fault
     * @throws IOException when reading it failed for another reason (worth another try)
     */
    private ModelHandle load(String version) throws IOException {
        ModelConfig config = base.forVersion(repository.model(version), repository.labels(version), version);
        TrackingFetcher tracking = new TrackingFetcher(fetcher);
        SharedModelRegistry.Lease lease;
        try {
            lease = registry.acquire(config, tracking);
        } catch (ModelLoadException e) {
            throw tracking.failure != null ? tracking.failure : new Refusal(e.getMessage(), e);
        }
        try {
            VersionCheck.run(lease.model(), config, repository.smokeTest(version), tracking);
            return new ModelHandle(lease);
        } catch (IOException | RuntimeException e) {
            lease.close();
            if (e instanceof ModelLoadException || e instanceof NoSuchFileException) {
                throw new Refusal(e.getMessage(), e);
            }
            throw e;
        }
    }

    private void refuse(String version, String namedBy, String reason) {
        if (refused.putIfAbsent(version, reason) == null) {
            LOG.error("Model repository {}: REFUSED version {} (named by {}): {}. {}. Publish a fixed model under a new "
                    + "version name.", repository, version, namedBy, reason, keeping());
        }
    }

    /** An invalid pointer text is refused like a version (keyed by its message), and logged once. */
    private void refusePointer(InvalidPointerException e) {
        if (refused.putIfAbsent(e.getMessage(), e.getMessage()) == null) {
            LOG.error("Model repository {}: REFUSED pointer: {}. {}.", repository, e.getMessage(), keeping());
        }
    }

    private String keeping() {
        return models == null ? "No version runs yet" : "Keeping version " + models.current().version();
    }

    private static String describe(ModelHandle h) {
        return "model " + h.model().name() + ", sha256 " + h.model().sha256() + ", " + h.model().labels().size()
                + " labels";
    }

    /** The version is at fault: it is not tried again. */
    private static final class Refusal extends IOException {
        private static final long serialVersionUID = 1L;

        Refusal(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Remembers a failed read that is not "does not exist": loading wraps it, but it is no refusal. */
    private static final class TrackingFetcher implements ModelFetcher {
        private final ModelFetcher delegate;
        private IOException failure;

        TrackingFetcher(ModelFetcher delegate) {
            this.delegate = delegate;
        }

        @Override
        public java.nio.file.Path fetch(String location) throws IOException {
            try {
                return delegate.fetch(location);
            } catch (NoSuchFileException e) {
                throw e;
            } catch (IOException e) {
                failure = e;
                throw e;
            }
        }
    }
}
