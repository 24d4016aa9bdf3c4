package dev.jllm.formats.template;

import java.time.LocalDateTime;
import java.time.format.TextStyle;
import java.util.Locale;

/** Python's {@code datetime.strftime} in the C locale, for {@code strftime_now(format)}; glibc's {@code %-d} style too. */
final class Strftime {
    private Strftime() {
    }

    static String format(LocalDateTime t, String format) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 >= format.length()) {
                sb.append(c);
                continue;
            }
            char d = format.charAt(++i);
            boolean noPad = false;
            if (d == '-' && i + 1 < format.length()) {
                noPad = true;
                d = format.charAt(++i);
            }
            String s = switch (d) {
                case 'Y' -> Integer.toString(t.getYear());
                case 'y' -> pad(t.getYear() % 100, 2, noPad);
                case 'm' -> pad(t.getMonthValue(), 2, noPad);
                case 'd' -> pad(t.getDayOfMonth(), 2, noPad);
                case 'e' -> noPad ? Integer.toString(t.getDayOfMonth()) : String.format("%2d", t.getDayOfMonth());
                case 'H' -> pad(t.getHour(), 2, noPad);
                case 'I' -> pad(t.getHour() % 12 == 0 ? 12 : t.getHour() % 12, 2, noPad);
                case 'M' -> pad(t.getMinute(), 2, noPad);
                case 'S' -> pad(t.getSecond(), 2, noPad);
                case 'f' -> String.format("%06d", t.getNano() / 1000);
                case 'p' -> t.getHour() < 12 ? "AM" : "PM";
                case 'j' -> pad(t.getDayOfYear(), 3, noPad);
                case 'b', 'h' -> t.getMonth().getDisplayName(TextStyle.SHORT, Locale.US);
                case 'B' -> t.getMonth().getDisplayName(TextStyle.FULL, Locale.US);
                case 'a' -> t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.US);
                case 'A' -> t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.US);
                case 'w' -> Integer.toString(t.getDayOfWeek().getValue() % 7);
                case 'u' -> Integer.toString(t.getDayOfWeek().getValue());
                case 'F' -> format(t, "%Y-%m-%d");
                case 'T' -> format(t, "%H:%M:%S");
                case 'D' -> format(t, "%m/%d/%y");
                case 'R' -> format(t, "%H:%M");
                case 'c' -> format(t, "%a %b %e %H:%M:%S %Y");
                case 'x' -> format(t, "%m/%d/%y");
                case 'X' -> format(t, "%H:%M:%S");
                case 'z', 'Z' -> "";
                case 'n' -> "\n";
                case 't' -> "\t";
                case '%' -> "%";
                default -> "%" + (noPad ? "-" : "") + d;
            };
            sb.append(s);
        }
        return sb.toString();
    }

    private static String pad(int v, int width, boolean noPad) {
        String s = Integer.toString(v);
        return noPad || s.length() >= width ? s : "0".repeat(width - s.length()) + s;
    }
}
