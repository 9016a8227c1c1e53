import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    id("com.android.application")
    id("org.jetbrains.kotlin.android")
    id("org.jetbrains.kotlin.plugin.compose")
}

// The Rust workspace is the parent of android/: the native libraries are built by cargo-ndk
// straight into src/main/jniLibs/<abi>/libtigr_mobile.so. The SDK's Kotlin bindings are
// compiled by :ui (ui/build.gradle.kts), which holds the screens and ViewModels.
val workspaceDir: File = rootDir.parentFile
val jniLibsDir: File = file("src/main/jniLibs")
val androidAbis = listOf("arm64-v8a", "armeabi-v7a", "x86_64")

android {
    namespace = "fr.tigr.app"
    compileSdk = 35

    defaultConfig {
        applicationId = "fr.tigr.app"
        minSdk = 26
        targetSdk = 35
        versionCode = 1
        versionName = "0.1.0"
        testInstrumentationRunner = "androidx.test.runner.AndroidJUnitRunner"
        manifestPlaceholders["tigrAppLinkHost"] =
            providers.gradleProperty("tigr.appLinkHost").getOrElse("auth.example.fr")
        ndk { abiFilters += androidAbis }
        // French is the default (values/), English is values-en/: keep no other language
        // from libraries, so the app is never half-translated.
        resourceConfigurations += listOf("fr", "en")
    }

    buildTypes {
        release {
            isMinifyEnabled = true
            isShrinkResources = true
            proguardFiles(
                getDefaultProguardFile("proguard-android-optimize.txt"),
                "proguard-rules.pro",
            )
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    buildFeatures {
        compose = true
    }

    packaging {
        jniLibs { useLegacyPackaging = false }
    }
}

kotlin {
    compilerOptions { jvmTarget.set(JvmTarget.JVM_17) }
}

// ---------------------------------------------------------------------------------------------
// Tigr SDK (Rust, uniffi) plumbing.
// ---------------------------------------------------------------------------------------------

val tigrNativeLibs = tasks.register<Exec>("tigrNativeLibs") {
    group = "tigr"
    description = "Builds libtigr_mobile.so for $androidAbis with cargo-ndk into src/main/jniLibs."
    workingDir = workspaceDir
    val abiArgs = androidAbis.flatMap { listOf("-t", it) }
    commandLine(
        listOf("cargo", "ndk") + abiArgs +
            listOf("--platform", "26", "-o", jniLibsDir.absolutePath) +
            listOf("build", "--profile", "release-mobile", "-p", "tigr-mobile"),
    )
}

val tigrKotlinBindings = tasks.register<Exec>("tigrKotlinBindings") {
    group = "tigr"
    description = "Runs mobile-bindings/generate.sh (host build + uniffi-bindgen) into target/bindings."
    workingDir = workspaceDir
    commandLine("bash", "mobile-bindings/generate.sh")
}

tasks.register("tigrSdk") {
    group = "tigr"
    description = "Rebuilds the Tigr SDK: Android native libraries and Kotlin bindings."
    dependsOn(tigrNativeLibs, tigrKotlinBindings)
}

val checkTigrNativeLibs = tasks.register("checkTigrNativeLibs") {
    group = "tigr"
    description = "Fails early when src/main/jniLibs lacks libtigr_mobile.so (a runtime crash otherwise)."
    val dir = jniLibsDir
    doLast {
        val missing = androidAbis.filterNot { File(dir, "$it/libtigr_mobile.so").isFile }
        if (missing.size == androidAbis.size) {
            throw GradleException(
                "No libtigr_mobile.so in $dir. Run `./gradlew :app:tigrSdk` (needs the Android " +
                    "NDK and cargo-ndk, see android/README.md).",
            )
        }
        if (missing.isNotEmpty()) logger.warn("Tigr: no libtigr_mobile.so for $missing")
    }
}

tasks.named("preBuild") {
    dependsOn(checkTigrNativeLibs)
    if (providers.gradleProperty("tigr.buildRust").orNull == "true") {
        dependsOn("tigrSdk")
    }
}
checkTigrNativeLibs.configure {
    if (providers.gradleProperty("tigr.buildRust").orNull == "true") mustRunAfter("tigrSdk")
}
evaluationDependsOn(":ui")
project(":ui").tasks.named("syncTigrBindings").configure { mustRunAfter(tigrKotlinBindings) }

dependencies {
    // The screens, ViewModels, navigation state, text tables and the SDK's Kotlin bindings.
    implementation(project(":ui"))

    val composeBom = platform("androidx.compose:compose-bom:2024.12.01")
    implementation(composeBom)
    implementation("androidx.compose.ui:ui")
    implementation("androidx.compose.ui:ui-tooling-preview")
    implementation("androidx.compose.material3:material3")
    implementation("androidx.compose.material:material-icons-core")
    debugImplementation("androidx.compose.ui:ui-tooling")

    implementation("androidx.core:core-ktx:1.15.0")
    implementation("androidx.activity:activity-compose:1.9.3")
    implementation("androidx.lifecycle:lifecycle-viewmodel-compose:2.8.7")
    implementation("androidx.lifecycle:lifecycle-runtime-compose:2.8.7")
    implementation("androidx.navigation:navigation-compose:2.8.5")

    val camerax = "1.4.1"
    implementation("androidx.camera:camera-core:$camerax")
    implementation("androidx.camera:camera-camera2:$camerax")
    implementation("androidx.camera:camera-lifecycle:$camerax")
    implementation("androidx.camera:camera-view:$camerax")

    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.9.0")
}
