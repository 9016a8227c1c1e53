import SwiftUI
import TigrAppFeature

/// The app bundle's entry point; everything else is in the TigrAppFeature package.
@main
struct TigrApp: App {
    var body: some Scene {
        WindowGroup {
            TigrRootView()
        }
    }
}
