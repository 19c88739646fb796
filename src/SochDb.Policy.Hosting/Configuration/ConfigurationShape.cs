using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Linq;
using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace SochDb.Policy.Hosting;

/// <summary>What a configuration node may hold: a value, an object with known keys, or an array of one shape.</summary>
internal sealed class ConfigurationShape
{
    private ConfigurationShape(ShapeKind kind, string description, IReadOnlyDictionary<string, ConfigurationShape>? members, ConfigurationShape? element)
    {
        Kind = kind;
        Description = description;
        Members = members;
        Element = element;
    }

    public enum ShapeKind
    {
        Value,
        Object,
        Array,

        /// <summary>A property whose shape was not described: anything below it is accepted (a test keeps this list empty).</summary>
        Unchecked,
    }

    public static ConfigurationShape Value { get; } = new(ShapeKind.Value, "a value", null, null);

    public ShapeKind Kind { get; }

    /// <summary>How the node is named in messages: <c>a rule</c>, <c>the policy section</c>.</summary>
    public string Description { get; }

    /// <summary>For an object: its keys (case-insensitive, as configuration keys are).</summary>
    public IReadOnlyDictionary<string, ConfigurationShape>? Members { get; }

    /// <summary>For an array: the shape of each element.</summary>
    public ConfigurationShape? Element { get; }

    public static ConfigurationShape ArrayOf(ConfigurationShape element) => new(ShapeKind.Array, "an array", null, element);

    /// <summary>
    /// The public settable properties of <typeparamref name="T"/> (those the binder fills): scalars and lists of strings
    /// are described by their type; any other member must be given in <paramref name="nested"/>, else it is
    /// <see cref="ShapeKind.Unchecked"/>. Reflection over a type known at compile time, so trimming keeps the properties.
    /// </summary>
    public static ConfigurationShape ObjectOf<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] T>(
        string description, params (string Name, ConfigurationShape Shape)[] nested)
    {
        var members = new Dictionary<string, ConfigurationShape>(StringComparer.OrdinalIgnoreCase);
        foreach (PropertyInfo property in typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            members[property.Name] = Describe(property.PropertyType);
        }

        foreach ((string name, ConfigurationShape shape) in nested)
        {
            members[name] = shape;
        }

        return new ConfigurationShape(ShapeKind.Object, description, members, null);
    }

    /// <summary>One object with the members of both (the policy section holds the engine's options and the rules).</summary>
    public ConfigurationShape With(ConfigurationShape other)
    {
        var members = new Dictionary<string, ConfigurationShape>(Members!, StringComparer.OrdinalIgnoreCase);
        foreach (KeyValuePair<string, ConfigurationShape> member in other.Members!)
        {
            members[member.Key] = member.Value;
        }

        return new ConfigurationShape(ShapeKind.Object, Description, members, null);
    }

    /// <summary>Every path below this shape whose shape was not described (for the test that keeps it empty).</summary>
    public IEnumerable<string> UncheckedPaths(string path = "")
    {
        if (Kind == ShapeKind.Unchecked)
        {
            yield return path;
        }

        foreach (KeyValuePair<string, ConfigurationShape> member in Members ?? new Dictionary<string, ConfigurationShape>())
        {
            foreach (string inner in member.Value.UncheckedPaths(path + ":" + member.Key))
            {
                yield return inner;
            }
        }

        if (Element is not null)
        {
            foreach (string inner in Element.UncheckedPaths(path + ":*"))
            {
                yield return inner;
            }
        }
    }

    private static ConfigurationShape Describe(Type type)
    {
        Type bare = Nullable.GetUnderlyingType(type) ?? type;
        if (bare.IsPrimitive || bare.IsEnum || bare == typeof(string) || bare == typeof(decimal) || bare == typeof(TimeSpan)
            || bare == typeof(DateTimeOffset) || bare == typeof(DateTime) || bare == typeof(Guid) || bare == typeof(Uri))
        {
            return Value;
        }

        if (bare == typeof(string[]) || (bare.IsGenericType && bare.GetGenericTypeDefinition() == typeof(List<>) && bare.GetGenericArguments()[0] == typeof(string)))
        {
            return ArrayOf(Value);
        }

        return new ConfigurationShape(ShapeKind.Unchecked, "anything", null, null);
    }
}

/// <summary>
/// Checks the shape of a policy section before it is bound: every key is known, arrays are arrays, values are values.
/// The binder ignores what it does not know, so without this a misspelt key (<c>"Rule"</c>, <c>"Reasn"</c>) would
/// silently drop what it meant.
/// </summary>
/// <remarks>
/// How configuration represents JSON (Microsoft.Extensions.Configuration.Json): <c>"Rules": []</c> becomes the key
/// <c>Rules</c> with the value <c>""</c> and no children; <c>"Rules": {}</c> and <c>"Rules": null</c> become the key
/// with a null value and no children; a missing <c>Rules</c> is no key at all; an array's elements are children
/// <c>0</c>, <c>1</c>, … So <c>[]</c> is told apart from a missing key, an empty object and null. The one form that
/// reads like <c>[]</c> is the empty string <c>""</c> (and an environment variable <c>SochDbPolicy__Rules=</c>), which is
/// taken as "no rules" too: it is as explicit as <c>[]</c>.
/// </remarks>
internal static class ConfigurationShapeCheck
{
    /// <summary>The policy section: the engine's options (read at start-up) and the rules and limits (reloaded).</summary>
    public static ConfigurationShape Section { get; } =
        ConfigurationShape.ObjectOf<SochDbPolicyOptions>("the policy section",
                ("Store", ConfigurationShape.ObjectOf<PolicyStoreOptions>("the store")),
                ("Audit", ConfigurationShape.ObjectOf<PolicyAuditOptions>("the audit")))
            .With(ConfigurationShape.ObjectOf<PolicyRulesOptions>("the policy section",
                ("Rules", ConfigurationShape.ArrayOf(ConfigurationShape.ObjectOf<ConfiguredRuleOptions>("a rule"))),
                ("RateLimits", ConfigurationShape.ArrayOf(ConfigurationShape.ObjectOf<ConfiguredRateLimitOptions>("a rate limit")))));

    /// <summary>The errors in the shape of <paramref name="section"/> (whose path is <paramref name="path"/>), in document order.</summary>
    public static List<PolicyConfigurationError> Check(IConfiguration section, string path)
    {
        var errors = new List<PolicyConfigurationError>();
        CheckObject(section, Section, path, errors);
        if (!section.GetChildren().Any(c => string.Equals(c.Key, "Rules", StringComparison.OrdinalIgnoreCase)))
        {
            errors.Add(Error(path + ":Rules",
                "Rules is missing; write \"Rules\": [] for a configuration without rules (a misspelt or missing Rules would otherwise remove every rule)"));
        }

        return errors;
    }

    /// <summary>
    /// Every key of the section outside Rules and RateLimits with its value, by path relative to the section
    /// (case-insensitive): what the engine reads once, at start-up.
    /// </summary>
    public static IReadOnlyDictionary<string, string?> StartupSettings(IConfiguration section)
    {
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (IConfigurationSection child in section.GetChildren())
        {
            if (!child.Key.Equals("Rules", StringComparison.OrdinalIgnoreCase) && !child.Key.Equals("RateLimits", StringComparison.OrdinalIgnoreCase))
            {
                Flatten(child, child.Key, settings);
            }
        }

        return settings;
    }

    private static void Flatten(IConfigurationSection node, string path, Dictionary<string, string?> settings)
    {
        settings[path] = node.Value;
        foreach (IConfigurationSection child in node.GetChildren())
        {
            Flatten(child, path + ":" + child.Key, settings);
        }
    }

    private static void CheckNode(IConfigurationSection node, ConfigurationShape shape, string path, List<PolicyConfigurationError> errors)
    {
        switch (shape.Kind)
        {
            case ConfigurationShape.ShapeKind.Value:
                if (node.GetChildren().Any())
                {
                    errors.Add(Error(path, "expected a value, found an object or an array"));
                }

                break;
            case ConfigurationShape.ShapeKind.Object:
                if (node.Value is { Length: > 0 } && !node.GetChildren().Any())
                {
                    errors.Add(Error(path, $"expected {shape.Description} (an object), found a value"));
                    break;
                }

                CheckObject(node, shape, path, errors);
                break;
            case ConfigurationShape.ShapeKind.Array:
                CheckArray(node, shape, path, errors);
                break;
        }
    }

    private static void CheckObject(IConfiguration node, ConfigurationShape shape, string path, List<PolicyConfigurationError> errors)
    {
        foreach (IConfigurationSection child in node.GetChildren())
        {
            string childPath = path + ":" + child.Key;
            if (shape.Members!.TryGetValue(child.Key, out ConfigurationShape? member))
            {
                CheckNode(child, member, childPath, errors);
                continue;
            }

            string known = string.Join(", ", shape.Members.Keys);
            string? near = Nearest(child.Key, shape.Members.Keys);
            errors.Add(Error(childPath, near is null
                ? $"unknown key \"{child.Key}\" in {shape.Description} (expected {known})"
                : $"unknown key \"{child.Key}\" in {shape.Description}: did you mean \"{near}\"? (expected {known})"));
        }
    }

    private static void CheckArray(IConfigurationSection node, ConfigurationShape shape, string path, List<PolicyConfigurationError> errors)
    {
        var children = node.GetChildren().ToList();
        if (children.Count == 0)
        {
            // "" is how [] reads; null is {} or null; anything else is a value where an array belongs.
            if (node.Value is null)
            {
                errors.Add(Error(path, $"expected an array, found an empty object or null; write \"{node.Key}\": [] for none"));
            }
            else if (node.Value.Length > 0)
            {
                errors.Add(Error(path, $"expected an array, found a value; write \"{node.Key}\": [ ... ]"));
            }

            return;
        }

        var indexes = new SortedSet<int>();
        foreach (IConfigurationSection child in children)
        {
            if (!int.TryParse(child.Key, NumberStyles.None, CultureInfo.InvariantCulture, out int index) || index.ToString(CultureInfo.InvariantCulture) != child.Key)
            {
                errors.Add(Error(path, $"expected an array, found an object (with the key \"{child.Key}\"); write \"{node.Key}\": [ ... ]"));
                return;
            }

            indexes.Add(index);
        }

        if (indexes.Min != 0 || indexes.Max != indexes.Count - 1)
        {
            errors.Add(Error(path, $"expected an array, found an object with numbered keys that do not run 0 to {indexes.Count - 1}"));
            return;
        }

        foreach (IConfigurationSection child in children)
        {
            CheckNode(child, shape.Element!, path + ":" + child.Key, errors);
        }
    }

    // The entry is the key's whole path, so the message reads "SochDbPolicy:Rules:0:Reasn: unknown key ...".
    private static PolicyConfigurationError Error(string path, string message) => new(path, null, message);

    /// <summary>The known key within two edits of <paramref name="key"/> (case-insensitive), if exactly one is closest.</summary>
    private static string? Nearest(string key, IEnumerable<string> known)
    {
        string? best = null;
        int bestDistance = 3;
        foreach (string candidate in known)
        {
            int distance = Distance(key.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance < bestDistance)
            {
                (best, bestDistance) = (candidate, distance);
            }
        }

        return best;
    }

    private static int Distance(string a, string b)
    {
        var row = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
        {
            row[j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }

        return row[b.Length];
    }
}
