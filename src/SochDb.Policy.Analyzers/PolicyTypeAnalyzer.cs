using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace SochDb.Policy.Analyzers;

/// <summary>
/// Checks the types that hold policy rules: the generator adds a <c>Compiled</c> property (and a nested
/// <c>CompiledPolicies</c> class) to each as another partial declaration, so the type and every type containing it
/// must be partial, non-generic classes or structs, and the type must not already have a member of those names.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class PolicyTypeAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Names types as <c>Outer.Inner&lt;T&gt;</c>: enough to find them, without the namespace.</summary>
    internal static readonly SymbolDisplayFormat TypeNameFormat = new(
        typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameAndContainingTypes,
        genericsOptions: SymbolDisplayGenericsOptions.IncludeTypeParameters);

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        DiagnosticDescriptors.TypeNotPartial,
        DiagnosticDescriptors.UnsupportedContainingType,
        DiagnosticDescriptors.GeneratedMemberConflict);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        PolicySymbols.RegisterWhenReferenced(context, (start, symbols) =>
        {
            start.RegisterSymbolAction(c => AnalyzeType(c, symbols), SymbolKind.NamedType);
        });
    }

    private static void AnalyzeType(SymbolAnalysisContext context, PolicySymbols symbols)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        if (!symbols.HoldsRules(type))
        {
            return;
        }

        Location location = IdentifierLocation(type, context) ?? type.Locations.FirstOrDefault() ?? Location.None;
        string name = type.ToDisplayString(TypeNameFormat);

        if (UnsupportedReason(type) is { } reason)
        {
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.UnsupportedContainingType, location, name, reason));
        }

        var notPartial = new List<TypeDeclarationSyntax>();
        var names = new List<string>();
        for (INamedTypeSymbol? current = type; current is not null; current = current.ContainingType)
        {
            foreach (SyntaxReference reference in current.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax(context.CancellationToken) is TypeDeclarationSyntax declaration
                    && !declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
                {
                    notPartial.Add(declaration);
                    string display = "'" + current.ToDisplayString(TypeNameFormat) + "'";
                    if (!names.Contains(display))
                    {
                        names.Add(display);
                    }
                }
            }
        }

        if (notPartial.Count > 0)
        {
            context.ReportDiagnostic(Diagnostic.Create(
                DiagnosticDescriptors.TypeNotPartial,
                location,
                notPartial.Select(d => d.Identifier.GetLocation()),
                name,
                string.Join(", ", names)));
        }

        if (GeneratedMembers.FindConflict(type) is { } conflict)
        {
            // On the clashing member when the type declares it in source; else (inherited, or the type's own name) on the
            // type. A member marked [GeneratedCode] counts as generated code, where a diagnostic would not be shown.
            Location conflictLocation = conflict.Member is { } member && !IsMarkedGenerated(member)
                ? member.Locations.FirstOrDefault(l => l.IsInSource) ?? location
                : location;
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.GeneratedMemberConflict, conflictLocation, name, conflict.Name, conflict.Reason));
        }
    }

    private static bool IsMarkedGenerated(ISymbol member) =>
        member.GetAttributes().Any(a => a.AttributeClass is { Name: "GeneratedCodeAttribute" });

    private static string? UnsupportedReason(INamedTypeSymbol type)
    {
        if (type.TypeKind is not (TypeKind.Class or TypeKind.Struct))
        {
            return "it is " + (type.TypeKind == TypeKind.Interface ? "an interface" : "a " + type.TypeKind.ToString().ToLowerInvariant());
        }

        // IsGenericType is also true for a type nested in a generic one; Arity is the type's own type parameters.
        if (type.Arity > 0)
        {
            return "it is generic";
        }

        for (INamedTypeSymbol? outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            if (outer.Arity > 0)
            {
                return $"it is nested in the generic type '{outer.ToDisplayString(TypeNameFormat)}'";
            }
        }

        return null;
    }

    private static Location? IdentifierLocation(INamedTypeSymbol type, SymbolAnalysisContext context) =>
        type.DeclaringSyntaxReferences
            .Select(r => r.GetSyntax(context.CancellationToken))
            .OfType<BaseTypeDeclarationSyntax>()
            .Select(d => d.Identifier.GetLocation())
            .FirstOrDefault();
}
