namespace SochDb.Policy.EndToEndTests;

/// <summary>Finds the repository root (the folder holding SochDb.Policy.sln) from the test's output folder.</summary>
internal static class RepositoryLayout
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SochDb.Policy.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No SochDb.Policy.sln above {AppContext.BaseDirectory}.");
    }
}
