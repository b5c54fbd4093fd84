package vatnumber

// The check-digit arithmetic shared by several member states. Every
// function takes ASCII digits only; callers check that first.

// digit returns the value of the ASCII digit s[i].
func digit(s string, i int) int { return int(s[i] - '0') }

// weightedSum returns the sum of the digits of s times the weights, the
// first weight for the first digit; digits beyond the weights are skipped.
func weightedSum(s string, weights ...int) int {
	sum := 0
	for i := 0; i < len(s) && i < len(weights); i++ {
		sum += weights[i] * digit(s, i)
	}
	return sum
}

// mod returns a modulo m in 0..m-1, also for negative a.
func mod(a, m int) int { return ((a % m) + m) % m }

// luhnValid reports whether the digits s pass the Luhn check (ISO/IEC
// 7812-1): doubling every second digit from the right, the digit sum is a
// multiple of 10.
func luhnValid(s string) bool {
	return luhnSum(s, false)%10 == 0
}

// luhnCheckDigit returns the Luhn check digit to append to the digits s.
func luhnCheckDigit(s string) int {
	return mod(-luhnSum(s, true), 10)
}

// luhnSum adds the digits of s from the right, doubling (and reducing to a
// single digit) every second one; with doubleLast the rightmost digit is
// the first doubled, as when a check digit is still to be appended.
func luhnSum(s string, doubleLast bool) int {
	sum := 0
	double := doubleLast
	for i := len(s) - 1; i >= 0; i-- {
		d := digit(s, i)
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum
}

// mod11_10CheckDigit returns the check digit of the hybrid system ISO/IEC
// 7064 MOD 11,10 for the digits s.
func mod11_10CheckDigit(s string) int {
	product := 10
	for i := 0; i < len(s); i++ {
		sum := (digit(s, i) + product) % 10
		if sum == 0 {
			sum = 10
		}
		product = 2 * sum % 11
	}
	return (11 - product) % 10
}

// mod97 returns the value of the decimal string s modulo 97, for numbers
// of any length.
func mod97(s string) int {
	r := 0
	for i := 0; i < len(s); i++ {
		r = (r*10 + digit(s, i)) % 97
	}
	return r
}

// lettersToDigits replaces the letters A..Z in s by their values 10..35,
// as ISO 7064 MOD 97-10 (and the IBAN) do; digits stay as they are.
func lettersToDigits(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUpper(c) {
			v := int(c-'A') + 10
			b = append(b, byte('0'+v/10), byte('0'+v%10))
		} else {
			b = append(b, c)
		}
	}
	return string(b)
}
