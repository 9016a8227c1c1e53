import Foundation
import TigrSDK

/// Account list: `accounts()`; remove with confirmation: `removeAccount(serverOrigin:tigrId:)`.
@MainActor
final class AccountListModel: ObservableObject {
    enum State {
        case loading
        case loaded([Account])
        case failed(String)
    }

    enum Removal {
        case none
        case confirm(Account)
        case removing(Account)
        case failed(Account, String)

        var failure: String? {
            if case .failed(_, let message) = self { return message }
            return nil
        }

        var account: Account? {
            switch self {
            case .none: return nil
            case .confirm(let a), .removing(let a), .failed(let a, _): return a
            }
        }
    }

    @Published private(set) var state: State = .loading
    @Published var removal: Removal = .none

    private let service: TigrService

    init(service: TigrService = .shared) {
        self.service = service
    }

    /// Called each time the list appears (an enrollment may have added an account).
    func load() async {
        switch await service.call({ try $0.accounts() }) {
        case .success(let accounts): state = .loaded(accounts)
        case .failure(_, let message): state = .failed(message)
        }
    }

    func askRemove(_ account: Account) { removal = .confirm(account) }

    func cancelRemove() { removal = .none }

    func confirmRemove() async {
        guard let account = removal.account else { return }
        removal = .removing(account)
        let origin = account.serverOrigin
        let tigrId = account.tigrId
        switch await service.call({ try $0.removeAccount(serverOrigin: origin, tigrId: tigrId) }) {
        case .success:
            removal = .none
            await load()
        case .failure(_, let message):
            removal = .failed(account, message)
        }
    }
}
