package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.calibration.demo.DemoFixture;
import dev.kdedge.calibration.demo.SyntheticTiles;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kdedge-calibrate remote ...} as a field engineer runs it, against a real node. */
class RemoteCliTest {
    @TempDir
    Path dir;

    private CalibrateCli.Run remote(RunningNode node, String... args) {
        String[] command = new String[args.length + 2];
        command[0] = "remote";
        command[1] = args[0];
        command[2] = "--node=127.0.0.1:" + node.server.port();
        System.arraycopy(args, 1, command, 3, args.length - 1);
        return CalibrateCli.run(command);
    }

    @Test
    void uploadFineTunePromoteRollbackFromTheCommandLine() throws Exception {
        Path images = Files.createDirectories(dir.resolve("normals"));
        SyntheticTiles tiles = new SyntheticTiles(128);
        for (int i = 0; i < 10; i++) {
            ImageIO.write(tiles.normal(3000 + i), "png", images.resolve("tile-" + i + ".png").toFile());
        }
        Files.write(images.resolve("truncated.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 0, 0, 0, 0});
        Path store = DemoFixture.copyOfStore(dir.resolve("store"));
        try (RunningNode node = new RunningNode(store, c -> c.models.enabled = true)) {
            CalibrateCli.Run upload = remote(node, "upload", "--product=demo", "--images=" + images);
            assertEquals(0, upload.exitCode(), upload.err());
            assertTrue(upload.out().contains("10 stored, 0 already there, 1 refused"), upload.out());
            assertTrue(upload.out().contains("refused truncated.png"), upload.out());

            CalibrateCli.Run fineTune = remote(node, "fine-tune", "--product=demo", "--epochs=2");
            assertEquals(0, fineTune.exitCode(), fineTune.out() + fineTune.err());
            assertTrue(fineTune.out().contains("done: version 2 of demo written, not active"), fineTune.out());
            assertTrue(fineTune.err().contains("export parity"), fineTune.err());

            CalibrateCli.Run status = remote(node, "status", "--product=demo");
            assertTrue(status.out().contains("active version 1"), status.out());
            assertTrue(status.out().contains("v2") && status.out().contains("from v1"), status.out());
            assertTrue(status.out().contains("catches 100% of 24 synthetic defects"), "the demo's v1: " + status.out());

            CalibrateCli.Run promote = remote(node, "promote", "--product=demo", "--version=2");
            assertEquals(0, promote.exitCode(), promote.err());
            assertTrue(promote.out().contains("active version 2 (before: [1])"), promote.out());
            CalibrateCli.Run rollback = remote(node, "rollback", "--product=demo");
            assertTrue(rollback.out().contains("active version 1"), rollback.out());

            CalibrateCli.Run policy = remote(node, "threshold-policy", "--product=demo", "--target-frr=0.01");
            assertTrue(policy.out().contains("0.01 false-reject rate"), policy.out());
            CalibrateCli.Run recall = remote(node, "threshold-policy", "--product=demo",
                    "--target-synthetic-recall=0.95");
            assertTrue(recall.out().contains("demo: next fine-tunes use threshold catching 0.95 of synthetic defects"),
                    recall.out());
            CalibrateCli.Run jobs = remote(node, "status");
            assertTrue(jobs.out().contains("SUCCEEDED  created"), jobs.out());
            String metrics = MetricsScrape.of(node);
            assertTrue(metrics.contains("kdedge_finetune_duration_seconds_count{product=\"demo\",state=\"succeeded\"} 1"),
                    metrics);
            assertTrue(metrics.contains("kdedge_finetune_jobs{state=\"succeeded\"} 1.0"), metrics);

            CalibrateCli.Run missing = remote(node, "promote", "--product=demo", "--version=9");
            assertEquals(1, missing.exitCode());
            assertTrue(missing.err().contains("error: NOT_FOUND: product demo has no version 9"), missing.err());
        }
    }
}
