package io.imageclassifier.sink.bigquery.schema;

import com.google.cloud.bigquery.storage.v1.BQTableSchemaToProtoDescriptor;
import com.google.cloud.bigquery.storage.v1.ProtoSchema;
import com.google.cloud.bigquery.storage.v1.ProtoSchemaConverter;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors;
import com.google.protobuf.DynamicMessage;
import io.imageclassifier.record.Prediction;
import io.imageclassifier.record.TopKEntry;

/**
 * Turns a {@link Prediction} into the serialized proto row the Storage Write API appends. The
 * descriptor comes from {@link PredictionTableSchema#storageSchema()} (field names lowercased by the
 * client's converter); TIMESTAMP is int64 microseconds since the epoch; nulls are left unset.
 */
public final class PredictionRowEncoder {

    private final Descriptors.Descriptor descriptor;
    private final Descriptors.Descriptor topKDescriptor;
    private final ProtoSchema protoSchema;

    public PredictionRowEncoder() {
        try {
            descriptor = BQTableSchemaToProtoDescriptor.convertBQTableSchemaToProtoDescriptor(
                    PredictionTableSchema.storageSchema());
        } catch (Descriptors.DescriptorValidationException e) {
            throw new IllegalStateException("prediction row descriptor is invalid", e);
        }
        topKDescriptor = field("top_k").getMessageType();
        protoSchema = ProtoSchemaConverter.convert(descriptor);
    }

    /** The writer schema sent with the first append of a connection. */
    public ProtoSchema protoSchema() {
        return protoSchema;
    }

    /** The descriptor rows are built with. */
    public Descriptors.Descriptor descriptor() {
        return descriptor;
    }

    /** The serialized row. */
    public ByteString encode(Prediction p) {
        DynamicMessage.Builder row = DynamicMessage.newBuilder(descriptor);
        set(row, "bucket", p.bucket());
        set(row, "name", p.name());
        set(row, "contentType", p.contentType());
        set(row, "size", p.size());
        set(row, "timeCreated", p.timeCreated());
        set(row, "updated", p.updated());
        set(row, "label", p.label());
        row.setField(field("score"), p.score());
        set(row, "model_name", p.modelName());
        row.setField(field("event_time"), Math.multiplyExact(p.eventTimeMillis(), 1000L));
        row.setField(field("label_index"), (long) p.labelIndex());
        if (p.topK() != null) {
            for (TopKEntry e : p.topK()) {
                DynamicMessage.Builder k = DynamicMessage.newBuilder(topKDescriptor);
                set(k, "label", e.label());
                k.setField(topKDescriptor.findFieldByName("label_index"), (long) e.labelIndex());
                k.setField(topKDescriptor.findFieldByName("score"), e.score());
                row.addRepeatedField(field("top_k"), k.build());
            }
        }
        set(row, "model_version", p.modelVersion());
        set(row, "generation", p.generation());
        set(row, "source", p.source());
        return row.build().toByteString();
    }

    private void set(DynamicMessage.Builder b, String name, String value) {
        if (value != null) {
            Descriptors.FieldDescriptor f = b.getDescriptorForType().findFieldByName(name.toLowerCase());
            b.setField(f, value);
        }
    }

    private Descriptors.FieldDescriptor field(String name) {
        Descriptors.FieldDescriptor f = descriptor.findFieldByName(name.toLowerCase());
        if (f == null) {
            throw new IllegalStateException("descriptor lacks column " + name);
        }
        return f;
    }
}
