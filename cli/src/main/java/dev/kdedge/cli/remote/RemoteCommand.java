package dev.kdedge.cli.remote;

import picocli.CommandLine.Command;

/** The engineer's side of a running node (its kdedge.v1.Models service). */
@Command(name = "remote", mixinStandardHelpOptions = true,
        description = {"Recalibrate a running node: upload normal images (or keep those of OK results), fine-tune, watch, "
                + "check, promote, roll back.",
                "The node must allow it (models.enabled: true in its edge-config)."},
        subcommands = {UploadCommand.class, KeepNormalCommand.class, FineTuneCommand.class, WatchCommand.class, StatusCommand.class,
            PromoteCommand.class, RollbackCommand.class, CancelCommand.class, ThresholdPolicyCommand.class,
            ThresholdCommand.class, DontCareCommand.class})
public final class RemoteCommand {}
