/// Stable finding codes (Docs/finding-codes.md).
public enum FindingCode {
    public static let schema = "RG-SCHEMA-001"
    public static let indexMissing = "RG-INDEX-001"
    public static let indexName = "RG-INDEX-002"
    public static let indexOptions = "RG-INDEX-003"
    public static let latency = "RG-LATENCY-001"
    public static let plan = "RG-EXPLAIN-001"
    public static let consistency = "RG-CONSISTENCY-001"
    public static let integrity = "RG-INTEGRITY-001"
    public static let format = "RG-FORMAT-001"
    public static let httpProtected = "RG-HTTP-001"
    public static let httpOpenAPI = "RG-HTTP-002"
    public static let manual = "RG-MANUAL-001"
    public static let probeError = "RG-PROBE-001"
    public static let impact = "RG-IMPACT-001"
    public static let rollback = "RG-ROLLBACK-001"
}
