import org.jetbrains.kotlin.gradle.dsl.JvmTarget

// The app's platform-neutral module: ViewModels (AndroidX Lifecycle), Compose screens and
// components (runtime, foundation, material3: APIs AndroidX Compose and Compose Multiplatform
// share), navigation routes, the French and English text tables, and the SDK's generated
// Kotlin bindings. It uses no android.* API: CI compiles and tests these same sources on the
// JVM against Compose desktop (../jvm-tests, Maven). The Android shell (../app) depends on it.
plugins {
    id("com.android.library")
    id("org.jetbrains.kotlin.android")
    id("org.jetbrains.kotlin.plugin.compose")
}

val workspaceDir: File = rootDir.parentFile
val generatedBindingsDir: File = File(workspaceDir, "target/bindings/kotlin")

android {
    namespace = "fr.tigr.app.ui"
    compileSdk = 35

    defaultConfig {
        minSdk = 26
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    buildFeatures {
        compose = true
    }

    testOptions {
        unitTests.isReturnDefaultValues = true
    }
}

kotlin {
    compilerOptions { jvmTarget.set(JvmTarget.JVM_17) }
}

/** Copies the generated `fr.tigr.sdk` Kotlin bindings into a generated source directory. */
abstract class SyncTigrBindings : DefaultTask() {
    @get:InputFiles
    @get:PathSensitive(PathSensitivity.RELATIVE)
    abstract val bindings: ConfigurableFileCollection

    @get:Internal
    abstract val bindingsRoot: DirectoryProperty

    @get:OutputDirectory
    abstract val outputDir: DirectoryProperty

    @get:Inject
    abstract val files: FileSystemOperations

    @TaskAction
    fun sync() {
        val root = bindingsRoot.get().asFile
        if (!root.resolve("fr/tigr/sdk").isDirectory) {
            throw GradleException(
                "Tigr Kotlin bindings not found in $root. Run `./gradlew :app:tigrSdk` " +
                    "(or `mobile-bindings/generate.sh` from the workspace root) first.",
            )
        }
        files.sync {
            from(root)
            into(outputDir)
            include("**/*.kt")
        }
    }
}

val syncTigrBindings = tasks.register<SyncTigrBindings>("syncTigrBindings") {
    group = "tigr"
    description = "Copies target/bindings/kotlin (package fr.tigr.sdk) into the module's sources."
    bindingsRoot.set(generatedBindingsDir)
    bindings.from(generatedBindingsDir)
    outputDir.set(layout.buildDirectory.dir("generated/source/tigr/kotlin"))
}

androidComponents {
    onVariants { variant ->
        variant.sources.kotlin?.addGeneratedSourceDirectory(
            syncTigrBindings,
            SyncTigrBindings::outputDir,
        )
    }
}

dependencies {
    val composeBom = platform("androidx.compose:compose-bom:2024.12.01")
    implementation(composeBom)
    api("androidx.compose.runtime:runtime")
    api("androidx.compose.foundation:foundation")
    api("androidx.compose.material3:material3")
    implementation("androidx.compose.material:material-icons-core")

    api("androidx.lifecycle:lifecycle-viewmodel:2.8.7")
    api("org.jetbrains.kotlinx:kotlinx-coroutines-core:1.9.0")

    // uniffi's Kotlin bindings call the Rust library through JNA; the @aar carries
    // libjnidispatch.so for every Android ABI.
    api("net.java.dev.jna:jna:5.15.0@aar")

    testImplementation("junit:junit:4.13.2")
    testImplementation("org.jetbrains.kotlinx:kotlinx-coroutines-test:1.9.0")
}

// With tigr.buildRust=true the SDK (bindings included) is rebuilt before this module compiles.
if (providers.gradleProperty("tigr.buildRust").orNull == "true") {
    tasks.named("preBuild") { dependsOn(":app:tigrSdk") }
}
