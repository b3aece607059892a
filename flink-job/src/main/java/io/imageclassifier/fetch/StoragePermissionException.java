package io.imageclassifier.fetch;

/**
 * Cloud Storage refused the job's identity (HTTP 401/403). Not a property of one image: a missing
 * role would turn every object of the bucket into a dead letter and drain the subscription, so
 * this fails the job instead, naming the principal and the role it needs.
 */
public final class StoragePermissionException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The role that lets the job read objects. */
    public static final String READ_ROLE = "roles/storage.objectViewer";

    public StoragePermissionException(String message) {
        super(message);
    }

    /** The message for a refused read of {@code gs://bucket/name}. */
    static String describe(int status, String bucket, String name, long generation, String principal,
            String serviceMessage) {
        return "Cloud Storage answered HTTP " + status + " to reading gs://" + bucket + "/" + name + " (generation "
                + generation + ") as " + principal + ": " + serviceMessage + ". The job needs " + READ_ROLE
                + " on gs://" + bucket + " for that principal, e.g. gcloud storage buckets add-iam-policy-binding gs://"
                + bucket + " --member=<principal> --role=" + READ_ROLE + ". The job fails instead of dead-lettering"
                + " every image it cannot read; it reads them after the fix and a restart.";
    }
}
