package io.imageclassifier.sink.bigquery.fake;

import io.grpc.Status;
import java.time.Duration;

/**
 * One injected fault of a unary call of {@link FakeBigQueryWrite}: applies to the next {@code calls}
 * calls, or to every call until a deadline. Not thread-safe: the fake guards it.
 */
final class CallFault {

    private final Status.Code code;
    private int calls;
    private final long untilNanos;
    private int hits;

    private CallFault(Status.Code code, int calls, long untilNanos) {
        this.code = code;
        this.calls = calls;
        this.untilNanos = untilNanos;
    }

    static CallFault none() {
        return new CallFault(Status.Code.OK, 0, 0);
    }

    static CallFault forCalls(int calls, Status.Code code) {
        return new CallFault(code, calls, 0);
    }

    static CallFault forDuration(Duration duration, Status.Code code) {
        return new CallFault(code, 0, System.nanoTime() + duration.toNanos());
    }

    /** Whether this call is hit (and counts it). */
    boolean hit() {
        boolean hit = calls > 0 || System.nanoTime() < untilNanos;
        if (calls > 0) {
            calls--;
        }
        if (hit) {
            hits++;
        }
        return hit;
    }

    Status.Code code() {
        return code;
    }

    /** Calls this fault hit so far. */
    int hits() {
        return hits;
    }
}
