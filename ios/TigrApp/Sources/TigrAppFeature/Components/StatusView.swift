import SwiftUI
import UIKit

/// What a status step means; picks its symbol and colour.
enum Tone {
    case success, info, warning, blocked

    var symbol: String {
        switch self {
        case .success: return "checkmark.circle.fill"
        case .info: return "info.circle.fill"
        case .warning: return "exclamationmark.triangle.fill"
        case .blocked: return "lock.fill"
        }
    }

    var color: Color {
        switch self {
        case .success: return .accentColor
        case .info: return .secondary
        case .warning, .blocked: return .red
        }
    }
}

/// A button of a status step; the first is the main action.
struct StatusAction: Identifiable {
    let id = UUID()
    let label: String
    let action: () -> Void
}

/// A result or problem step: symbol, title (a VoiceOver header, announced), message, advice,
/// actions.
struct StatusView: View {
    let tone: Tone
    let title: String
    let message: String?
    var advice: String?
    var actions: [StatusAction] = []

    var body: some View {
        VStack(spacing: 12) {
            Image(systemName: tone.symbol)
                .font(.system(size: 56))
                .foregroundStyle(tone.color)
                .accessibilityHidden(true)
            Text(title)
                .font(.title2.bold())
                .multilineTextAlignment(.center)
                .accessibilityAddTraits(.isHeader)
            if let message {
                Text(message).multilineTextAlignment(.center)
            }
            if let advice {
                Text(advice).font(.callout).foregroundStyle(.secondary).multilineTextAlignment(.center)
            }
            ForEach(Array(actions.enumerated()), id: \.element.id) { index, item in
                if index == 0 {
                    Button(action: item.action) { Text(item.label).frame(maxWidth: .infinity) }
                        .buttonStyle(.borderedProminent).controlSize(.large)
                } else {
                    Button(action: item.action) { Text(item.label).frame(maxWidth: .infinity) }
                        .buttonStyle(.bordered).controlSize(.large)
                }
            }
        }
        .padding(.top, 24)
        .onAppear {
            UIAccessibility.post(notification: .screenChanged, argument: title)
        }
    }
}

/// A step waiting on the SDK.
struct ProgressStep: View {
    let message: String

    var body: some View {
        VStack(spacing: 16) {
            ProgressView()
            Text(message).multilineTextAlignment(.center)
        }
        .padding(.top, 48)
        .accessibilityElement(children: .combine)
    }
}

/// The frame of every step: scrollable, padded, with a close button.
struct FlowContainer<Content: View>: View {
    let title: String
    let onClose: () -> Void
    @ViewBuilder let content: () -> Content

    var body: some View {
        ScrollView {
            VStack(spacing: 16, content: content)
                .padding(.horizontal, 24)
                .padding(.vertical, 16)
                .frame(maxWidth: 600)
                .frame(maxWidth: .infinity)
        }
        .navigationTitle(title)
        .navigationBarTitleDisplayMode(.inline)
        .navigationBarBackButtonHidden(true)
        .toolbar {
            ToolbarItem(placement: .cancellationAction) {
                Button(L("action.close"), action: onClose)
            }
        }
    }
}
