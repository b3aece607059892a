package io.imageclassifier.record;

/** The fetched content of one object version; lives only between fetch and classify (chained). */
public record ImageBytes(ObjectRef ref, byte[] bytes) {}
