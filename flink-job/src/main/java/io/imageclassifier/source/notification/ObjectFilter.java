package io.imageclassifier.source.notification;

import io.imageclassifier.config.PubSubConfig;
import io.imageclassifier.record.ObjectRef;
import java.io.Serializable;

/**
 * Which objects are classified, by name and content type: one rule for a notified object and a
 * listed one ({@code --name-prefix}, {@code --name-suffix}, {@code --content-type-prefix}). A name
 * outside the prefix/suffix is skipped (not an image this job is for); a content type outside the
 * prefix is rejected (an object the job was meant to see, but cannot classify: a dead letter).
 *
 * @param contentTypePrefix only content types starting with this are classified (empty: all)
 * @param namePrefix        only names starting with this (empty: all)
 * @param nameSuffix        only names ending with this (empty: all)
 */
public record ObjectFilter(String contentTypePrefix, String namePrefix, String nameSuffix) implements Serializable {

    /** What to do with an object. */
    public enum Verdict { CLASSIFY, SKIP_NAME, UNSUPPORTED_CONTENT_TYPE }

    public ObjectFilter {
        contentTypePrefix = contentTypePrefix == null ? "" : contentTypePrefix;
        namePrefix = namePrefix == null ? "" : namePrefix;
        nameSuffix = nameSuffix == null ? "" : nameSuffix;
    }

    /** The filter of the job's Pub/Sub settings. */
    public static ObjectFilter of(PubSubConfig config) {
        return new ObjectFilter(config.contentTypePrefix(), config.namePrefix(), config.nameSuffix());
    }

    public boolean nameMatches(String name) {
        return name.startsWith(namePrefix) && name.endsWith(nameSuffix);
    }

    public Verdict check(ObjectRef ref) {
        if (!nameMatches(ref.name())) {
            return Verdict.SKIP_NAME;
        }
        if (!contentTypePrefix.isEmpty() && (ref.contentType() == null || !ref.contentType().startsWith(contentTypePrefix))) {
            return Verdict.UNSUPPORTED_CONTENT_TYPE;
        }
        return Verdict.CLASSIFY;
    }

    /** The dead letter's message for {@link Verdict#UNSUPPORTED_CONTENT_TYPE}. */
    public String contentTypeProblem(ObjectRef ref) {
        return "content type " + ref.contentType() + " does not start with " + contentTypePrefix;
    }
}
