using Gateway.Tests.Support;

namespace Gateway.Tests.Architecture;

/// <summary>
/// Feature folders depend one way (docs/architecture.md, "Layers"): no folder's code names a folder that names it
/// back, directly or round a longer loop; the bottom layers name no feature at all.
/// </summary>
public sealed class FeatureDependencyTests
{
    private static readonly FeatureGraph Source = FeatureGraph.Read(Repository.File("src/Gateway"));

    [Fact]
    public void Feature_folders_depend_one_way()
    {
        var cycle = Source.FindCycle();

        Assert.True(cycle is null, cycle is null ? "" : "feature folders depend on each other in a loop: " + string.Join(" → ", cycle) + "; "
            + string.Join("; ", cycle.Zip(cycle.Skip(1)).Select(e => $"{e.First} → {e.Second} in {string.Join(", ", Source.FilesOf(e.First, e.Second))}")));
    }

    [Theory]
    [InlineData("Errors", new string[0])]
    [InlineData("Core", new[] { "Errors" })]
    [InlineData("Configuration", new[] { "Errors" })]
    [InlineData("Streaming", new[] { "Errors" })]
    public void The_bottom_layers_name_no_feature(string folder, string[] allowed)
    {
        var extra = Source.DependenciesOf(folder).Except(allowed).Select(to => $"{to} (in {string.Join(", ", Source.FilesOf(folder, to))})").ToArray();

        Assert.True(extra.Length == 0, $"{folder} depends on {string.Join("; ", extra)}");
    }

    [Fact]
    public void The_graph_sees_usings_and_qualified_names_but_not_comments_strings_or_member_access()
    {
        var graph = new FeatureGraph(["Routing", "Providers", "Tracking", "Guardrails"]);

        graph.Add("Providers", "Providers/A.cs", "using Gateway.Routing;\nclass A { }");
        graph.Add("Routing", "Routing/B.cs", "class B { Providers.IProvider p; Gateway.Tracking.X t; }");
        graph.Add("Tracking", "Tracking/C.cs", "// Guardrails.X\nclass C { string s = \"Guardrails.X\"; object g = context.Guardrails.For(); }");

        Assert.Equal(["Routing"], graph.DependenciesOf("Providers"));
        Assert.Equal(["Providers", "Tracking"], graph.DependenciesOf("Routing").Order(StringComparer.Ordinal));
        Assert.Empty(graph.DependenciesOf("Tracking"));
        Assert.Equal(["Providers", "Routing", "Providers"], graph.FindCycle());
    }
}
