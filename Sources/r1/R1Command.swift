// The `r1` command: a root with one subcommand per file.
import ArgumentParser

@main
struct R1Command: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "r1",
        abstract: "Run DeepSeek-R1-style reasoning models on this machine.",
        subcommands: [DefaultCommand.self, RunCommand.self, PullCommand.self, ListCommand.self, GenerateCommand.self,
                      ChatCommand.self, ServeCommand.self, BenchCommand.self, InfoCommand.self, TokenizeCommand.self,
                      DetokenizeCommand.self, TemplateCommand.self, TrainCommand.self, EvalCommand.self],
        defaultSubcommand: DefaultCommand.self)
}
