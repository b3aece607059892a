package io.imageclassifier;

import io.imageclassifier.config.JobConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.JobListener;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded Flink of the local mode (the job run as a plain Java program): a MiniCluster with
 * its REST API and, where flink-runtime-web is on the classpath, the web UI, on the first free port
 * of {@code --web-ui-port}. Once the job is submitted, the port it really got is found (the one
 * whose REST API knows the job) and logged.
 */
final class EmbeddedFlink {

    /** The class flink-runtime's {@code WebMonitorUtils} looks for before it serves the dashboard. */
    static final String WEB_UI_CLASS = "org.apache.flink.runtime.webmonitor.utils.WebFrontendBootstrap";

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedFlink.class);

    private EmbeddedFlink() {}

    static StreamExecutionEnvironment environment(JobConfig config) {
        Configuration conf = new Configuration();
        int slots = ImageClassifierJob.embeddedParallelism(config);
        conf.set(TaskManagerOptions.NUM_TASK_SLOTS, slots);
        conf.set(RestOptions.BIND_PORT, config.runtime().webUiPort());
        boolean webUi = webUiOnClasspath();
        StreamExecutionEnvironment env = webUi
                ? StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(conf)
                : StreamExecutionEnvironment.createLocalEnvironment(slots, conf);
        env.registerJobListener(new AddressLogger(config.runtime().webUiPort(), webUi));
        return env;
    }

    static boolean webUiOnClasspath() {
        try {
            Class.forName(WEB_UI_CLASS, false, EmbeddedFlink.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    /** Logs the web UI's address once the job is submitted. */
    private record AddressLogger(String portRange, boolean webUi) implements JobListener {

        @Override
        public void onJobSubmitted(JobClient client, Throwable failure) {
            if (client == null) {
                return;
            }
            Integer port = findPort(client.getJobID().toHexString());
            if (port == null) {
                LOG.warn("The job's REST API answers on none of the ports {} (the web UI's address is unknown)", portRange);
            } else if (webUi) {
                LOG.info("Flink web UI: http://localhost:{}/ (job {})", port, client.getJobID());
            } else {
                LOG.warn("flink-runtime-web is not on the classpath: no web UI, only the REST API at http://localhost:{}/",
                        port);
            }
        }

        @Override
        public void onJobExecuted(JobExecutionResult result, Throwable failure) {}

        /**
         * The port of the range whose REST API lists this job: the one this MiniCluster bound.
         * ({@code /jobs} is the lightest call that names jobs; right after a submission, on a busy
         * machine, it may take a few seconds.)
         */
        private Integer findPort(String jobId) {
            String[] bounds = portRange.split("-");
            int first = Integer.parseInt(bounds[0]);
            int last = bounds.length > 1 ? Integer.parseInt(bounds[1]) : first;
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            for (int port = first; port <= last; port++) {
                try {
                    HttpResponse<String> resp = http.send(HttpRequest.newBuilder(
                                    URI.create("http://localhost:" + port + "/jobs"))
                            .timeout(Duration.ofSeconds(20)).GET().build(), HttpResponse.BodyHandlers.ofString());
                    if (resp.statusCode() == 200 && resp.body().contains(jobId)) {
                        return port;
                    }
                } catch (java.io.IOException e) {
                    // nothing, or something else, listens there: try the next port
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return null;
                }
            }
            return null;
        }
    }
}
