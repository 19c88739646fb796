using Microsoft.Extensions.Configuration;

namespace SochDb.Policy.Hosting.Tests;

/// <summary>An in-memory configuration whose whole content can be replaced, raising the change token like a file reload.</summary>
internal sealed class SwappableConfiguration : ConfigurationProvider, IConfigurationSource
{
    public SwappableConfiguration(IDictionary<string, string?> initial) => Replace(initial, raise: false);

    public IConfigurationProvider Build(IConfigurationBuilder builder) => this;

    public void Replace(IDictionary<string, string?> content, bool raise = true)
    {
        Data = new Dictionary<string, string?>(content, StringComparer.OrdinalIgnoreCase);
        if (raise)
        {
            OnReload();
        }
    }
}
