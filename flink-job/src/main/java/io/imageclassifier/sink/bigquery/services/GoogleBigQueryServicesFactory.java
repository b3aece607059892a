package io.imageclassifier.sink.bigquery.services;

import io.imageclassifier.config.BigQueryConfig;

/** Creates {@link GoogleBigQueryServices} for a config: production endpoints, or the emulator overrides in it. */
public record GoogleBigQueryServicesFactory(BigQueryConfig config) implements BigQueryServicesFactory {
    @Override
    public BigQueryServices create() {
        return new GoogleBigQueryServices(config);
    }
}
