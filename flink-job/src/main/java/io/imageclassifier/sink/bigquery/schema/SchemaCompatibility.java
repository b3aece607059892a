package io.imageclassifier.sink.bigquery.schema;

import com.google.cloud.bigquery.Field;
import com.google.cloud.bigquery.FieldList;
import com.google.cloud.bigquery.Schema;
import com.google.cloud.bigquery.StandardSQLTypeName;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Compares an existing table's schema with the one the sink writes. Every expected column must
 * exist with the same type and mode (names compare case-insensitively, as in BigQuery); extra
 * NULLABLE or REPEATED columns are fine, extra REQUIRED ones are not (the sink never fills them).
 */
public final class SchemaCompatibility {

    private SchemaCompatibility() {}

    /** One line per differing column, e.g. {@code size: expected STRING NULLABLE, found INT64 NULLABLE}; empty when compatible. */
    public static List<String> differences(Schema expected, Schema actual) {
        List<String> out = new ArrayList<>();
        compare("", expected.getFields(), actual == null ? FieldList.of() : actual.getFields(), out);
        return out;
    }

    private static void compare(String prefix, FieldList expected, FieldList actual, List<String> out) {
        for (Field want : expected) {
            Field have = find(actual, want.getName());
            String column = prefix + want.getName();
            if (have == null) {
                out.add(column + ": missing (expected " + describe(want) + ")");
            } else if (type(want) != type(have) || mode(want) != mode(have)) {
                out.add(column + ": expected " + describe(want) + ", found " + describe(have));
            } else if (type(want) == StandardSQLTypeName.STRUCT) {
                compare(column + ".", want.getSubFields(), have.getSubFields() == null ? FieldList.of()
                        : have.getSubFields(), out);
            }
        }
        for (Field extra : actual) {
            if (find(expected, extra.getName()) == null && mode(extra) == Field.Mode.REQUIRED) {
                out.add(prefix + extra.getName() + ": unexpected REQUIRED column (the sink does not write it)");
            }
        }
    }

    private static Field find(FieldList fields, String name) {
        for (Field f : fields) {
            if (f.getName().toLowerCase(Locale.ROOT).equals(name.toLowerCase(Locale.ROOT))) {
                return f;
            }
        }
        return null;
    }

    private static StandardSQLTypeName type(Field f) {
        return f.getType().getStandardType();
    }

    private static Field.Mode mode(Field f) {
        return f.getMode() == null ? Field.Mode.NULLABLE : f.getMode();
    }

    private static String describe(Field f) {
        return type(f) + " " + mode(f);
    }
}
