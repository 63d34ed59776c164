package dev.kdedge.cli.remote;

import dev.kdedge.api.v1.KeepResultAsNormalRequest;
import io.grpc.ManagedChannel;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "keep-normal", mixinStandardHelpOptions = true,
        description = {"Take the images the node kept of OK results as normals of their products, for the next "
                + "fine-tune.", "Result ids come from `journal export` or the Results service (image_kept)."})
final class KeepNormalCommand extends RemoteCall {
    @Option(names = "--result-id", required = true, split = ",", description = "Result ids, comma separated.")
    List<Long> resultIds;

    @Override
    int run(ManagedChannel channel) {
        for (long resultId : resultIds) {
            System.out.print("result " + resultId + ": " + UploadCommand.describe(models(channel)
                    .keepResultAsNormal(KeepResultAsNormalRequest.newBuilder().setResultId(resultId).build())));
        }
        return 0;
    }
}
