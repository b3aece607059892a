package io.imageclassifier.source.local.enumerator;

import io.imageclassifier.source.local.split.LocalFile;
import java.util.List;

/**
 * Checkpointed state of {@link LocalDirectoryEnumerator}.
 *
 * @param known       every file of the last listing, at the version last seen: a later listing
 *                    emits only files that are not in it, or are there at another version
 * @param pending     files found but not yet handed to a reader, in order
 * @param listed      whether the directory has been listed at least once (a bounded source lists once)
 * @param nextSplitId the id of the next split, so ids stay unique across restores
 */
public record LocalEnumeratorState(List<LocalFile> known, List<LocalFile> pending, boolean listed, long nextSplitId) {
    public LocalEnumeratorState {
        known = List.copyOf(known);
        pending = List.copyOf(pending);
    }

    /** Nothing listed yet. */
    public static LocalEnumeratorState empty() {
        return new LocalEnumeratorState(List.of(), List.of(), false, 0);
    }
}
