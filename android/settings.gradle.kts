// Tigr Android app. Opened as-is by Android Studio (Ladybug or newer) or built with
// `./gradlew :app:assembleDebug` once the wrapper exists (see README.md).
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "Tigr"
include(":app", ":ui")
// ui/ holds the platform-neutral code (ViewModels, Compose screens, navigation state, text);
// app/ the Android shell. jvm-tests/ is a separate Maven project that compiles ui/ against
// Compose desktop and tests it on the JVM: it is deliberately not a Gradle module.
