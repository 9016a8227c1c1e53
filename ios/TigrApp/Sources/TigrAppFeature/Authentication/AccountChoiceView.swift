import SwiftUI

/// Several accounts of this phone use this server: pick the one that logs in.
struct AccountChoiceView: View {
    let choices: [AccountChoice]
    let onChoose: (AccountChoice) -> Void

    var body: some View {
        VStack(spacing: 12) {
            Text(L("login.chooseAccount")).font(.title2.bold()).accessibilityAddTraits(.isHeader)
            ForEach(choices, id: \.self) { choice in
                Button { onChoose(choice) } label: {
                    Text(choice.displayName.map { L("login.accountChoice", $0, choice.tigrId) } ?? choice.tigrId)
                        .frame(maxWidth: .infinity)
                }
                .buttonStyle(.bordered)
                .controlSize(.large)
            }
        }
    }
}
