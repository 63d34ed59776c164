package dev.kdedge.cli.journal;

import picocli.CommandLine.Command;

/** What a node recorded: its results journal (the kdedge.v1.Results service). */
@Command(name = "journal", mixinStandardHelpOptions = true,
        description = "Read a running node's results journal: every verdict with its part, station and view.",
        subcommands = {ExportCommand.class})
public final class JournalCommand {}
