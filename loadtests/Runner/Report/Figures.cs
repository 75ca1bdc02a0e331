using System.Globalization;

namespace LoadTests.Runner.Report;

/// <summary>How numbers read in the report: microseconds below 1 ms, then milliseconds with the decimals that matter.</summary>
internal static class Figures
{
    public const string NotAvailable = "n/a";

    public static string Duration(double? microseconds) => microseconds switch
    {
        null => NotAvailable,
        double.NaN => NotAvailable,
        var us when Math.Abs(us.Value) < 1_000 => Format($"{us.Value:0} µs"),
        var us when Math.Abs(us.Value) < 10_000 => Format($"{us.Value / 1000:0.00} ms"),
        var us => Format($"{us.Value / 1000:0.0} ms"),
    };

    public static string Ratio(double? ratio) => ratio is null or double.NaN or double.PositiveInfinity or double.NegativeInfinity
        ? NotAvailable
        : Format($"{ratio.Value:0.00}×");

    public static string Rate(double? perSecond) => perSecond is null ? NotAvailable : Format($"{perSecond.Value:N0}");

    public static string Megabytes(double? megabytes) => megabytes is null or double.NaN ? NotAvailable : Format($"{megabytes.Value:0.0} MB");

    public static string Milliseconds(double? milliseconds) => milliseconds is null ? NotAvailable : Format($"{milliseconds.Value:0.000} ms");

    /// <summary>
    /// a / b, or null when either is missing, b is not positive or a is negative: a ratio against nothing, or
    /// of an "added" figure that came out below zero (noise), says nothing.
    /// </summary>
    public static double? Divide(double? a, double? b) =>
        a is null || b is null || double.IsNaN(a.Value) || double.IsNaN(b.Value) || b.Value <= 0 || a.Value < 0 ? null : a / b;

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
