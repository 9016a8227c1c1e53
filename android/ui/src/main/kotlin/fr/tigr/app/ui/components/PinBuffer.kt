package fr.tigr.app.ui.components

import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow

/**
 * The PIN being typed, kept in the ViewModel (never in saved state, never in the UI tree).
 * The UI only sees its [length]. [take] hands the PIN to one SDK call and clears the buffer.
 */
class PinBuffer {
    private val digits = StringBuilder()
    private val _length = MutableStateFlow(0)
    val length: StateFlow<Int> = _length.asStateFlow()

    fun add(digit: Char) {
        if (digit in '0'..'9' && digits.length < PIN_MAX_DIGITS) {
            digits.append(digit)
            _length.value = digits.length
        }
    }

    fun delete() {
        if (digits.isNotEmpty()) {
            digits.setLength(digits.length - 1)
            _length.value = digits.length
        }
    }

    fun take(): String = digits.toString().also { clear() }

    fun clear() {
        // Overwrite before shortening: the StringBuilder's array is reused, not freed.
        for (i in digits.indices) digits.setCharAt(i, '0')
        digits.setLength(0)
        _length.value = 0
    }
}
