// Starts the local OpenSearch node through codelibs' OpenSearchRunner, as its own main() does,
// with one difference: the node also takes the ingest role (the runner's default node is
// cluster_manager + data only, and an index with a default_pipeline then refuses documents).
// Run by scripts/local-services/opensearch.sh as a single-file source program (Java 17).
import org.codelibs.opensearch.runner.OpenSearchRunner;

public class LocalOpenSearchNode {
    public static void main(final String[] args) throws Exception {
        final OpenSearchRunner runner = new OpenSearchRunner();
        runner.onBuild((index, settings) -> settings.putList("node.roles", "cluster_manager", "data", "ingest"));
        // SIGTERM closes the node: it flushes and releases its data directory's lock.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                runner.close();
            } catch (final Exception e) {
                System.err.println("Closing the node failed: " + e);
            }
        }));
        try {
            runner.build(args);
        } catch (final RuntimeException e) {
            e.printStackTrace();
            System.exit(1);
        }
        while (!runner.isClosed()) {
            Thread.sleep(1000);
        }
    }
}
