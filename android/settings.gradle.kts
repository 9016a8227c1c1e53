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
include(":app")
// jvm-tests/ is a separate Maven project (JVM tests of the generated Kotlin bindings):
// it is deliberately not a Gradle module.
