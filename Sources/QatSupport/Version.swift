/// The product's name and version, shown by `--version`, in reports and in exported files.
public enum Version {
  public static let number = "0.1.0"
  public static let banner = "qat-repl \(number)"
}
