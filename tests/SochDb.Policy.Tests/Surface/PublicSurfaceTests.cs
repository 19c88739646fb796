using System.ComponentModel;
using System.Reflection;

namespace SochDb.Policy.Tests.Surface;

/// <summary>
/// The core package's public surface as users meet it: what generated code calls is hidden in one namespace, the
/// engine's decision log is one facet, and the count of public types only goes down.
/// </summary>
public sealed class PublicSurfaceTests
{
    private const string CompilerServices = "SochDb.Policy.CompilerServices";

    // The count of public types outside SochDb.Policy.CompilerServices when this surface became the 1.0 candidate.
    // Lower it when a type goes; a new public type must replace one (docs/migration.md lists what moved where).
    private const int MaxPublicTypes = 50;

    private static readonly Type[] s_exported = typeof(PolicyEngine).Assembly.GetExportedTypes();

    [Fact]
    public void PublicTypes_OutsideCompilerServices_DoNotGrow()
    {
        string[] visible = s_exported.Where(t => t.Namespace != CompilerServices).Select(t => t.FullName!).Order(StringComparer.Ordinal).ToArray();
        Assert.True(visible.Length <= MaxPublicTypes,
            $"{visible.Length} public types (at most {MaxPublicTypes}): {string.Join(", ", visible)}");
    }

    [Fact]
    public void CompilerServices_HoldsExactlyWhatGeneratedCodeCalls_AndIsHiddenFromCompletion()
    {
        string[] hidden = s_exported.Where(t => t.Namespace == CompilerServices).Select(t => t.Name).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(new[] { "CompiledPolicySet", "GlobMatcher", "GlobSegmentMatcher", "PolicyEvaluation" }, hidden);
        foreach (Type type in s_exported.Where(t => t.Namespace == CompilerServices))
        {
            EditorBrowsableAttribute? browsable = type.GetCustomAttribute<EditorBrowsableAttribute>();
            Assert.True(browsable?.State == EditorBrowsableState.Never, type.FullName + " is not hidden from completion");
        }
    }

    [Fact]
    public void SiblingPackageHelpers_AreNotPublic()
    {
        // The hosting package compiles these in as source; the PostgreSQL package is a friend assembly of the core.
        foreach (string name in new[] { "SochDb.Policy.AuditNames", "SochDb.Policy.AuditSqlQuery", "SochDb.Policy.PolicyTriggerExtensions", "SochDb.Policy.Matching.GlobMatcher" })
        {
            Assert.DoesNotContain(s_exported, t => t.FullName == name);
        }
    }

    [Fact]
    public void Engine_KeepsTheDecisionLogBehindOneFacet()
    {
        string[] auditMembers = typeof(PolicyEngine).GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
            .Where(m => m.Name.Contains("Audit", StringComparison.Ordinal))
            .Select(m => m.Name)
            .Distinct()
            .ToArray();
        Assert.Equal(new[] { "get_Audit", "Audit" }.Order(), auditMembers.Order());
        Assert.Equal(typeof(PolicyAudit), typeof(PolicyEngine).GetProperty("Audit")!.PropertyType);
    }

    [Fact]
    public void AuditFacet_VerifiesAgainstAnAnchoredHead_AndReportsACutTail()
    {
        string path = Path.Combine(Path.GetTempPath(), "sochdb-facet-" + Guid.NewGuid().ToString("N") + ".db");
        try
        {
            AuditHead head;
            using (var sink = SqliteAuditSink.Open(path))
            using (var engine = new PolicyEngine(Database.OpenInMemory()))
            {
                engine.Audit.Enable(new AuditOptions { Sinks = [sink] });
                for (int i = 0; i < 5; i++)
                {
                    engine.Put("notes/" + i, "v");
                }

                AuditVerification intact = engine.Audit.Verify();
                Assert.True(intact.IsIntact);
                head = intact.Head;
                Assert.True(engine.Audit.Verify(head).IsIntact);
                engine.Audit.Disable();
            }

            // Cut the newest entry; on its own the shorter chain still verifies, against the kept head it does not.
            using (var connection = new Microsoft.Data.Sqlite.SqliteConnection("Data Source=" + path + ";Pooling=False"))
            {
                connection.Open();
                using var delete = connection.CreateCommand();
                delete.CommandText = "DELETE FROM sochdb_audit WHERE id = (SELECT MAX(id) FROM sochdb_audit)";
                Assert.Equal(1, delete.ExecuteNonQuery());
            }

            using (var sink = SqliteAuditSink.Open(path))
            using (var engine = new PolicyEngine(Database.OpenInMemory()))
            {
                engine.Audit.Enable(new AuditOptions { Sinks = [sink] });
                Assert.False(engine.Audit.Verify(head).IsIntact);
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            File.Delete(path);
        }
    }
}
