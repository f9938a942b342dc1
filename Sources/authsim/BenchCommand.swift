import ArgumentParser
import Foundation

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Measure the pipeline (see `make bench`).")
    func run() async throws { print("bench: not yet") }
}
