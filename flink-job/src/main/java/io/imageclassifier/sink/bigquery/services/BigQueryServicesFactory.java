package io.imageclassifier.sink.bigquery.services;

import java.io.Serializable;

/** Serializable recipe for {@link BigQueryServices}: shipped with the sink, called once per writer or committer. */
@FunctionalInterface
public interface BigQueryServicesFactory extends Serializable {
    BigQueryServices create();
}
