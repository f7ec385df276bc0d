import Findings
import Foundation
import Mongo
@testable import Rollback
import Testing

/// Each exported order is priced exactly as the plan's aggregation prices it, so the file adds up to the plan.
struct ImpactExporterTests {
    @Test func ordersArePricedAsThePlanPricesThem() {
        #expect(ImpactExporter.price(nil, default: 130) == (130, true), "missing: the default")
        #expect(ImpactExporter.price(.null, default: 130) == (130, true), "null: the default")
        #expect(ImpactExporter.price(.double(99.5), default: 130) == (99.5, false))
        #expect(ImpactExporter.price(.int32(80), default: 130) == (80, false))
        #expect(ImpactExporter.price(.int64(-20), default: 130) == (-20, false), "a refund counts as written")
        #expect(ImpactExporter.price(.string("120"), default: 130) == (0, false), "a string is nothing")
        #expect(ImpactExporter.price(.double(.infinity), default: 130) == (0, false))
        #expect(ImpactExporter.price(.double(.nan), default: 130) == (0, false))
        #expect(ImpactExporter.price(.double(2e15), default: 130) == (0, false), "beyond ±10^15 is nothing")
        #expect(ImpactExporter.price(.bool(true), default: 130) == (0, false))
    }

    @Test func valuesBecomeCellsOtherToolsRead() {
        #expect(ImpactExporter.cell(nil) == .text(""))
        #expect(ImpactExporter.cell(.string("o1")) == .text("o1"))
        #expect(ImpactExporter.cell(.int64(42)) == .number("42"))
        #expect(ImpactExporter.cell(.datetime(1_780_000_000_000)) == .text("2026-05-28T20:26:40Z"))
        #expect(ImpactExporter.day(.datetime(1_780_000_000_000)) == .text("2026-05-28"), "the UTC day")
        #expect(ImpactExporter.day(.string("yesterday")) == .text("yesterday"), "a date that is not one, as written")
        #expect(ImpactExporter.cell(.document(["a": 1])) == .text("{ \"a\" : 1 }"))
    }
}
