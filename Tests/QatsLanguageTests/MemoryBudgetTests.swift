import Testing

@testable import QatSupport

/// The one memory budget: checked products and sums, and what fits.
@Suite struct MemoryBudgetTests {
  @Test func productsAndSumsReportOverflowInsteadOfTrapping() {
    #expect(MemoryBudget.product([3, 4, 5]) == 60)
    #expect(MemoryBudget.product([]) == 1)
    #expect(MemoryBudget.product([Int.max, 2]) == nil)
    #expect(MemoryBudget.product([-1, 2]) == nil)
    #expect(MemoryBudget.sum([1, 2, 3]) == 6)
    #expect(MemoryBudget.sum([Int.max, 1]) == nil)
  }

  @Test func theBudgetIsAPositiveShareOfMemory() {
    #expect(MemoryBudget.bytes > 0)
    #expect(MemoryBudget.fits(0) && MemoryBudget.fits(MemoryBudget.bytes))
    #expect(!MemoryBudget.fits(MemoryBudget.bytes + 1) && !MemoryBudget.fits(nil) && !MemoryBudget.fits(-1))
    #expect(MemoryBudget.excess(nil).hasPrefix("needs more bytes than a 64-bit size can count"))
  }
}
