// swift-tools-version: 6.0
import PackageDescription

// libtorch: Debian's libtorch-dev by default (headers under /usr/include, libraries on the default
// search path). Set ISNETD_LIBTORCH to the root of another libtorch (for example NVIDIA's CUDA build:
// the folder holding include/ and lib/) to build against it instead; see README "Another libtorch".
let libtorchRoot = Context.environment["ISNETD_LIBTORCH"].flatMap { $0.isEmpty ? nil : $0 }
let libtorchIncludes = libtorchRoot.map { ["\($0)/include", "\($0)/include/torch/csrc/api/include"] }
  ?? ["/usr/include/torch/csrc/api/include"]
let libtorchLinkerFlags = libtorchRoot.map {
  // --no-as-needed keeps libtorch_cuda linked although no symbol of it is referenced directly: its
  // static initialisers register the CUDA kernels.
  ["-L\($0)/lib", "-Xlinker", "-rpath", "-Xlinker", "\($0)/lib", "-Xlinker", "--no-as-needed"]
} ?? []

let strictSwift: [SwiftSetting] = [
  .enableUpcomingFeature("ExistentialAny"),
  .enableUpcomingFeature("InternalImportsByDefault"),
  .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
  name: "isnetd",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "isnetd", targets: ["isnetd"])
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
    .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
  ],
  targets: [
    // C bridges: noexcept C surfaces over C++ libraries, and system-library modules.
    .target(
      name: "CTorch",
      cxxSettings: [.unsafeFlags(libtorchIncludes.map { "-I\($0)" } + ["-Wno-deprecated-declarations"])],
      linkerSettings: [
        .unsafeFlags(libtorchLinkerFlags),
        .linkedLibrary("torch"), .linkedLibrary("torch_cpu"), .linkedLibrary("c10"),
        .linkedLibrary("stdc++"),
      ]
    ),
    .target(
      name: "CDCMTK",
      linkerSettings: ["dcmsr", "dcmjpeg", "dcmdata", "oflog", "ofstd", "stdc++"].map { .linkedLibrary($0) }
    ),
    // JPEG 2000 frames, which DCMTK's free toolkit cannot decode, go to OpenJPEG through this C shim.
    .target(name: "COpenJPEG", linkerSettings: [.linkedLibrary("openjp2")]),
    .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
    // JPEG-LS frames go to CharLS 2 (DCMTK's embedded CharLS 1.0 aborts on damaged codestreams).
    .systemLibrary(name: "CCharLS", pkgConfig: "charls", providers: [.apt(["libcharls-dev"])]),
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
    .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),

    // Swift layers over the bridges, and small leaf modules.
    .target(name: "Durable", swiftSettings: strictSwift),
    .target(name: "Torch", dependencies: ["CTorch"], swiftSettings: strictSwift),
    .target(name: "Imaging", swiftSettings: strictSwift),
    // Synthetic chest X-ray phantoms: anatomy, findings, background markers, lung masks, and their
    // DICOM files and masks on disk.
    .target(name: "Phantoms", dependencies: ["Imaging", "DICOM", "PNG", "Durable"], swiftSettings: strictSwift),
    .target(name: "DICOM", dependencies: ["CDCMTK", "COpenJPEG", "CCharLS", "CZlib", "Durable", "Imaging"], swiftSettings: strictSwift),
    .target(name: "PNG", dependencies: ["CPNG"], swiftSettings: strictSwift),
    .target(name: "Systemd", dependencies: ["CSystemd", .product(name: "Logging", package: "swift-log")], swiftSettings: strictSwift),
    .target(name: "Safetensors", dependencies: ["Durable"], swiftSettings: strictSwift),

    // The Faster ISNet engine: layers, DenseNet, LRP-Flex, ISNet losses, training, checkpoints.
    .target(name: "Engine", dependencies: ["Torch", "Safetensors", "Durable", "Imaging"], swiftSettings: strictSwift),

    // The screening pipeline: DICOM in, model input, prediction, heatmap, shortcut check.
    .target(
      name: "Screening",
      dependencies: ["Engine", "DICOM", "Imaging", "PNG", "Torch", "Safetensors", "Durable", .product(name: "Crypto", package: "swift-crypto")],
      swiftSettings: strictSwift),

    // The service: configuration, inbox watcher, claim/process/finish, ledger, quarantine, metrics,
    // and the systemd notify and journal services, over the screening pipeline.
    .target(
      name: "Daemon",
      dependencies: [
        "Screening", "Registry", "Systemd", "Durable", "DICOM", "Engine",
        .product(name: "Logging", package: "swift-log"),
        .product(name: "CoreMetrics", package: "swift-metrics"),
        .product(name: "Prometheus", package: "swift-prometheus"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "Yams", package: "Yams"),
      ],
      swiftSettings: strictSwift),

    // The models a site trained, in the state directory: registrations, the current pointer that the
    // daemon follows, promotion and rollback, and the gate a candidate must pass.
    .target(name: "Registry", dependencies: ["Screening", "Durable"], swiftSettings: strictSwift),

    // Learning from a site's labelled data: the frozen split, the site dataset, the training recipe and
    // the orchestration `train` and `retrain` share, and the retrain that registers and promotes.
    .target(
      name: "Training",
      dependencies: ["Screening", "Registry", "Engine", "Imaging", "DICOM", "Durable", "Torch",
                     .product(name: "Crypto", package: "swift-crypto"), .product(name: "Logging", package: "swift-log")],
      swiftSettings: strictSwift),

    // Research workflows on top of the engine: the shortcut experiment and its report.
    .target(name: "Experiments", dependencies: ["Engine", "Screening", "Imaging", "PNG", "Phantoms", "Torch", "Durable"], swiftSettings: strictSwift),

    // The command-line tool on top.
    .executableTarget(
      name: "isnetd",
      dependencies: [
        "Torch", "DICOM", "Imaging", "PNG", "Systemd", "Engine", "Screening", "Safetensors", "Phantoms", "Durable", "Experiments", "Daemon", "Training", "Registry",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: strictSwift
    ),

    // Fixture generators and helpers shared by the tests; never linked into isnetd.
    .target(name: "TestSupport", dependencies: ["PNG", "DICOM"], swiftSettings: strictSwift),

    // Benchmarks (decode, ...): `swift run -c release isnetd-bench --help`.
    .executableTarget(
      name: "isnetd-bench",
      dependencies: [
        "DICOM", "Imaging", "Engine", "Screening", "Phantoms", "Torch", "Systemd", "TestSupport",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      swiftSettings: strictSwift
    ),

    // libFuzzer targets for the untrusted-input readers: `scripts/fuzz.sh TARGET SECONDS`.
    .executableTarget(
      name: "isnetd-fuzz", dependencies: ["DICOM", "Engine", "Imaging", "Safetensors", "Screening", "TestSupport"],
      swiftSettings: strictSwift),

    .testTarget(name: "RegistryTests", dependencies: ["Registry", "Screening", "TestSupport"], swiftSettings: strictSwift),
    .testTarget(name: "TrainingTests", dependencies: ["Training", "Screening", "DICOM", "TestSupport"], swiftSettings: strictSwift),
    .testTarget(name: "TorchTests", dependencies: ["Torch"], swiftSettings: strictSwift),
    .testTarget(
      name: "EngineTests", dependencies: ["Engine", "Torch", "Safetensors", "Imaging", "TestSupport"], exclude: ["Fixtures"],
      swiftSettings: strictSwift),
    .testTarget(name: "DICOMTests", dependencies: ["DICOM", "Imaging", "Phantoms", "TestSupport"], swiftSettings: strictSwift),
    .testTarget(name: "ImagingTests", dependencies: ["Imaging"], swiftSettings: strictSwift),
    .testTarget(name: "PhantomsTests", dependencies: ["Phantoms", "Imaging", "DICOM", "PNG", "TestSupport"], swiftSettings: strictSwift),
    .testTarget(name: "PNGTests", dependencies: ["PNG"], swiftSettings: strictSwift),
    .testTarget(
      name: "SystemdTests", dependencies: ["Systemd", "TestSupport", .product(name: "Logging", package: "swift-log")],
      swiftSettings: strictSwift),
    .testTarget(
      name: "DaemonTests",
      dependencies: ["Daemon", "Registry", "Training", "Screening", "Systemd", "Durable", "DICOM", "Phantoms", "TestSupport", "isnetd",
                     .product(name: "GRDB", package: "GRDB.swift")],
      swiftSettings: strictSwift),
    .testTarget(name: "SafetensorsTests", dependencies: ["Safetensors", "TestSupport"], swiftSettings: strictSwift),
    .testTarget(
      name: "ScreeningTests",
      dependencies: ["Screening", "Engine", "Imaging", "DICOM", "PNG", "Torch", "Phantoms", "Safetensors", "Durable", "TestSupport"],
      swiftSettings: strictSwift),
    .testTarget(
      name: "CLITests",
      dependencies: ["isnetd", "Engine", "Imaging", "Safetensors", "Torch", "TestSupport", "Phantoms", "DICOM", "PNG", "Screening"],
      swiftSettings: strictSwift),
  ],
  cxxLanguageStandard: .cxx17
)
