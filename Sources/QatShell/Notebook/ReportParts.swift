import QatOutput
import QatsLanguage

/// What a report draws for one cell output: composites are taken apart so each figure inside
/// (a sweep table's chart, a history's curves, a `plot` value) is drawn as SVG on its own.
enum ReportParts {
  /// `item` as the pieces a report shows, in order. A `ValueView` of a host object is looked
  /// through to the object, because a cell's value reaches the notebook wrapped in one.
  static func flatten(_ item: any Renderable) -> [any Renderable] {
    if let view = item as? ValueView, case .object(let object) = view.value {
      return flatten(object)
    }
    if item is any Figure { return [item] }
    if let composite = item as? any CompositeRenderable {
      return composite.parts.flatMap(flatten)
    }
    return [item]
  }
}
